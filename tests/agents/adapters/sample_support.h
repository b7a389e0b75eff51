// Shared by the adapter tests: maps deploy/samples/<profile>/ files with a
// fixed linkage key, and finds events, sections and people in the result.
#ifndef ACCORD_TESTS_AGENTS_ADAPTERS_SAMPLE_SUPPORT_H_
#define ACCORD_TESTS_AGENTS_ADAPTERS_SAMPLE_SUPPORT_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "accord/v1/events.pb.h"
#include "agents/adapters/event_builder.h"
#include "agents/adapters/mapper.h"
#include "crypto/pseudonym.h"
#include "crypto/secret_bytes.h"

namespace accord::agents::testing {

inline const std::string kSamples = std::string(ACCORD_SOURCE_DIR) + "/deploy/samples/";

// The partnership linkage key every test agency shares.
inline const crypto::SecretBytes& LinkageKey() {
  static const crypto::SecretBytes* key = new crypto::SecretBytes(std::string(32, '\x42'));
  return *key;
}

// Maps deploy/samples/<profile>/<file> as agency `agency` (the programme
// agencies up2u and drive share one profile).
inline MapResult MapSampleAs(const std::string& profile, const std::string& agency, const std::string& file) {
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = MakeMapper(profile);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  if (!mapper.ok()) return {};
  absl::StatusOr<MapResult> result = (*mapper)->MapFile(kSamples + profile + "/" + file, {agency, &LinkageKey()});
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : MapResult{};
}

// Maps deploy/samples/<profile>/<file> as agency `profile`.
inline MapResult MapSample(const std::string& profile, const std::string& file) {
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = MakeMapper(profile);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  if (!mapper.ok()) return {};
  absl::StatusOr<MapResult> result =
      (*mapper)->MapFile(kSamples + profile + "/" + file, {profile, &LinkageKey()});
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : MapResult{};
}

// Maps `text`, written to a temporary file `name` (.csv or .jsonl), as
// agency `agency` with profile `profile`.
inline MapResult MapText(const std::string& profile, const std::string& agency, const std::string& name,
                         const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  absl::StatusOr<std::unique_ptr<Mapper>> mapper = MakeMapper(profile);
  EXPECT_TRUE(mapper.ok()) << mapper.status();
  if (!mapper.ok()) return {};
  absl::StatusOr<MapResult> result = (*mapper)->MapFile(path, {agency, &LinkageKey()});
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *std::move(result) : MapResult{};
}

inline std::string Pseudonym(const std::string& family, const std::string& given, const std::string& dob) {
  return *crypto::SubjectPseudonym(LinkageKey(), family, given, dob);
}

// The fictional household of the demo, and the other people in the samples.
struct Person {
  std::string family, given, dob;
  std::string ref() const { return Pseudonym(family, given, dob); }
};
inline const Person kCarys{"Morgan", "Carys", "1991-03-14"};   // victim
inline const Person kDaniel{"Price", "Daniel", "1988-07-22"};  // perpetrator
inline const Person kFfion{"Price", "Ffion", "2015-09-03"};
inline const Person kOsian{"Price", "Osian", "2019-01-28"};
inline const std::vector<Person> kEveryone = {kCarys,
                                              kDaniel,
                                              kFfion,
                                              kOsian,
                                              {"Rahman", "Aisha", "1995-11-02"},
                                              {"Bennett", "Kyle", "1993-05-17"},
                                              {"Hughes", "Megan", "1999-08-09"},
                                              {"Carter", "Lewis", "1997-02-14"},
                                              {"Carter", "Alfie", "2022-06-30"},
                                              {"Morris", "Jason", "1985-12-03"},
                                              {"Lloyd", "Rebecca", "1987-04-25"}};

// The event mapped from export record `record_id` of agency `agency`.
inline const MappedEvent* FindRecord(const MapResult& result, const std::string& agency,
                                     const std::string& record_id) {
  const std::string id = EventIdFor(LinkageKey(), agency, record_id);
  for (const MappedEvent& e : result.events) {
    if (e.header.event_id() == id) return &e;
  }
  ADD_FAILURE() << "no event for record " << record_id;
  return nullptr;
}

inline std::vector<std::string> SectionNames(const MappedEvent& e) {
  std::vector<std::string> names;
  for (const v1::SectionRef& s : e.header.sections()) names.push_back(s.name());
  return names;
}

// The section `name` parsed as M (which must be its content type).
template <typename M>
M Section(const MappedEvent& e, const std::string& name) {
  M m;
  for (const crypto::PlainSection& s : e.sections) {
    if (s.name != name) continue;
    EXPECT_EQ(s.content_type, M::descriptor()->full_name());
    EXPECT_TRUE(m.ParseFromString(s.plaintext));
    return m;
  }
  ADD_FAILURE() << "no section " << name;
  return m;
}

inline bool HasFlag(const MappedEvent& e, v1::Flag f) {
  return std::find(e.header.flags().begin(), e.header.flags().end(), f) != e.header.flags().end();
}

inline std::string SubjectRef(const MappedEvent& e, v1::SubjectRole role) {
  for (const v1::SubjectRef& s : e.header.subjects()) {
    if (s.role() == role) return s.ref();
  }
  return "";
}

// Nothing that identifies a person (name or date of birth) or a member of
// staff (`staff_ids`) is in the header, in binary or text form.
inline void ExpectNoPersonalDataInHeaders(const MapResult& result,
                                          const std::vector<std::string>& staff_ids) {
  for (const MappedEvent& e : result.events) {
    const std::string bytes = absl::AsciiStrToLower(e.header.SerializeAsString());
    const std::string text = absl::AsciiStrToLower(e.header.DebugString());
    std::vector<std::string> needles = staff_ids;
    for (const Person& p : kEveryone) needles.insert(needles.end(), {p.family, p.given, p.dob});
    for (std::string n : needles) {
      n = absl::AsciiStrToLower(n);
      EXPECT_EQ(bytes.find(n), std::string::npos) << e.source << ": header holds '" << n << "'";
      EXPECT_EQ(text.find(n), std::string::npos) << e.source << ": header text holds '" << n << "'";
    }
  }
}

// Header sections index exactly the event's sections, with their content types.
inline void ExpectSectionsIndexed(const MapResult& result) {
  for (const MappedEvent& e : result.events) {
    ASSERT_EQ(e.header.sections_size(), static_cast<int>(e.sections.size())) << e.source;
    for (std::size_t i = 0; i < e.sections.size(); ++i) {
      EXPECT_EQ(e.header.sections(static_cast<int>(i)).name(), e.sections[i].name) << e.source;
      EXPECT_EQ(e.header.sections(static_cast<int>(i)).content_type(), e.sections[i].content_type)
          << e.source;
      EXPECT_TRUE(e.header.sections(static_cast<int>(i)).ciphertext_sha256().empty());
    }
    EXPECT_EQ(e.header.version(), 1u);
    EXPECT_FALSE(e.header.case_ref().empty()) << e.source;
    EXPECT_TRUE(e.header.has_occurred_at()) << e.source;
    EXPECT_FALSE(e.header.actor().staff_ref().empty()) << e.source;
    ASSERT_FALSE(e.sections.empty()) << e.source;
    EXPECT_EQ(e.sections[0].name, "summary") << e.source;
  }
}

// The rejection of the row on `line`, or null.
inline const Rejection* RejectOn(const MapResult& result, int line) {
  for (const Rejection& r : result.rejects) {
    if (r.line == line) return &r;
  }
  return nullptr;
}

// Exactly the rows in `expected` are rejected, each with a reason containing
// the given text.
inline void ExpectRejects(const MapResult& result,
                          const std::vector<std::pair<int, std::string>>& expected) {
  EXPECT_EQ(result.rejects.size(), expected.size());
  for (const auto& [line, reason] : expected) {
    const Rejection* r = RejectOn(result, line);
    ASSERT_NE(r, nullptr) << "line " << line << " not rejected";
    EXPECT_THAT(r->reason, ::testing::HasSubstr(reason)) << "line " << line;
  }
}

}  // namespace accord::agents::testing

#endif  // ACCORD_TESTS_AGENTS_ADAPTERS_SAMPLE_SUPPORT_H_
