// What the fuzz targets share: fixed keys (make_fuzz_seeds signs the seeds
// with the same ones, so that mutations of a valid seed get past signature
// checks) and a scratch directory for seams that read a file.
#ifndef ACCORD_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define ACCORD_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace accord::fuzz {

// 32-byte seeds of the fixed keys (never used outside fuzzing).
inline std::string SenderSeed() { return std::string(32, '\x01'); }        // Ed25519, "police"
inline std::string RecipientSecret() { return std::string(32, '\x02'); }   // X25519, "victim_services"
inline std::string LogKeySeed() { return std::string(32, '\x03'); }        // Ed25519, the audit log
inline std::string LinkageKey() { return std::string(32, '\x04'); }        // pseudonyms

// The path of `name` in a private directory made on first use (under
// $TMPDIR, removed at exit).
std::string ScratchPath(const std::string& name);
// Writes `data` to ScratchPath(name) and returns that path.
std::string WriteScratch(const std::string& name, const uint8_t* data, size_t size);

// Aborts with `what` on stderr: an invariant the target checks did not hold.
[[noreturn]] void Fail(std::string_view what);

}  // namespace accord::fuzz

#endif  // ACCORD_TESTS_FUZZ_FUZZ_SUPPORT_H_
