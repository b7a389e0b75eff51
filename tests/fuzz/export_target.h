// Shared by the CSV and JSON-lines targets: an export file read with each
// agency profile's schema and mapped by that profile, as accord-agent does.
#ifndef ACCORD_TESTS_FUZZ_EXPORT_TARGET_H_
#define ACCORD_TESTS_FUZZ_EXPORT_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_support.h"

namespace accord::fuzz {

// Writes the bytes to `name` (its extension picks the format) and runs
// ReadExport and ProfileMapper::MapFile with the agency profiles.
void ReadAndMapExport(const std::string& name, const uint8_t* data, size_t size);

}  // namespace accord::fuzz

#endif  // ACCORD_TESTS_FUZZ_EXPORT_TARGET_H_
