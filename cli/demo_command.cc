// accord demo seal-open DIR: seals a sample police incident for two agencies
// with different sections each, then opens it as every agency and prints what
// each one could read. Shows the envelope guarantees on real keys.
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "accord/v1/events.pb.h"
#include "cli/commands.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "crypto/pseudonym.h"

namespace accord::cli {
namespace {

constexpr char kUsage[] =
    "usage: accord demo seal-open PARTNERSHIP_DIR\n"
    "\n"
    "Police seal a sample domestic incident: victim services may open summary, risk,\n"
    "children and victim_contact; the perpetrator programme may open summary only.\n"
    "Every agency in the partnership then tries to open it with its own key.\n";

absl::StatusOr<std::vector<crypto::PlainSection>> SampleSections() {
  v1::Summary summary;
  summary.set_headline("Domestic incident, children present, DASH high risk");
  summary.set_text("Police attended a reported assault at the family home at 23:40.");
  v1::RiskDetail risk;
  risk.set_level(v1::RISK_LEVEL_HIGH);
  risk.set_tool(v1::RISK_TOOL_DASH);
  risk.set_score(16);
  risk.add_factors("strangulation");
  risk.add_factors("recent separation");
  v1::ChildrenDetail children;
  v1::Child* child = children.add_children();
  child->set_age_years(6);
  child->set_present_at_incident(true);
  v1::VictimContact contact;
  contact.set_address("Flat 2, 14 Example Road, Cardiff");
  contact.set_safe_contact_method("mobile, text first");
  contact.set_safe_times("weekdays 10:00-14:00");
  return std::vector<crypto::PlainSection>{
      {"summary", "accord.v1.Summary", summary.SerializeAsString()},
      {"risk", "accord.v1.RiskDetail", risk.SerializeAsString()},
      {"children", "accord.v1.ChildrenDetail", children.SerializeAsString()},
      {"victim_contact", "accord.v1.VictimContact", contact.SerializeAsString()},
  };
}

std::string Render(const crypto::OpenedSection& s) {
  std::unique_ptr<google::protobuf::Message> msg;
  if (s.content_type == "accord.v1.Summary") msg = std::make_unique<v1::Summary>();
  if (s.content_type == "accord.v1.RiskDetail") msg = std::make_unique<v1::RiskDetail>();
  if (s.content_type == "accord.v1.ChildrenDetail") msg = std::make_unique<v1::ChildrenDetail>();
  if (s.content_type == "accord.v1.VictimContact") msg = std::make_unique<v1::VictimContact>();
  if (!msg || !msg->ParseFromArray(s.plaintext.data(), static_cast<int>(s.plaintext.size()))) {
    return "(unreadable content)";
  }
  return msg->ShortDebugString();
}

int SealOpen(const std::string& dir) {
  const crypto::PartnershipPaths paths(dir);
  absl::StatusOr<crypto::VerifiedDirectory> directory = crypto::LoadVerifiedDirectory(paths);
  if (!directory.ok()) {
    std::cerr << "accord demo: " << directory.status().message() << "\n";
    return 2;
  }
  const absl::Time now = absl::Now();
  absl::StatusOr<crypto::SigningKey> police = crypto::ReadSigningKey(paths.AgencySigningKey("police"));
  absl::StatusOr<crypto::SecretBytes> linkage =
      crypto::ReadLinkageKey(paths.AgencyLinkageKey("police"));
  if (!police.ok() || !linkage.ok()) {
    std::cerr << "accord demo: the partnership needs a 'police' agency: "
              << (police.ok() ? linkage.status() : police.status()).message() << "\n";
    return 2;
  }
  const std::map<std::string, std::vector<std::string>> plan = {
      {"victim_services", {"summary", "risk", "children", "victim_contact"}},
      {"perpetrator_programme", {"summary"}},
  };
  std::vector<crypto::RecipientKey> recipients;
  for (const auto& [agency, sections] : plan) {
    absl::StatusOr<v1::DirectoryEntry> entry = directory->Current(agency, now);
    if (!entry.ok()) {
      std::cerr << "accord demo: " << entry.status().message() << "\n";
      return 2;
    }
    recipients.push_back({agency, entry->encryption_key_id(), entry->encryption_public_key(),
                          sections});
  }
  v1::EventHeader header;
  header.set_version(1);
  header.set_event_id("demo-incident-0001");
  header.set_kind(v1::EVENT_KIND_DOMESTIC_INCIDENT);
  header.set_sender("police");
  header.set_case_ref("CASE-2026-0001");
  header.mutable_actor()->set_role("police_officer");
  header.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
  header.mutable_risk()->set_tool(v1::RISK_TOOL_DASH);
  header.mutable_risk()->set_score(16);
  header.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  header.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(now));
  absl::StatusOr<std::string> victim =
      crypto::SubjectPseudonym(*linkage, "Example", "Alex", "1990-04-12");
  if (!victim.ok()) return 2;
  v1::SubjectRef* subject = header.add_subjects();
  subject->set_ref(*victim);
  subject->set_role(v1::SUBJECT_ROLE_VICTIM);

  absl::StatusOr<std::vector<crypto::PlainSection>> sections = SampleSections();
  absl::StatusOr<v1::Envelope> envelope =
      crypto::SealEvent(header, *sections, recipients, *police);
  if (!envelope.ok()) {
    std::cerr << "accord demo: " << envelope.status().message() << "\n";
    return 2;
  }
  std::cout << "Police sealed event " << header.event_id() << " (" << envelope->ByteSizeLong()
            << " bytes): " << envelope->sections_size() << " sections, " << envelope->wraps_size()
            << " key wraps, signed by key " << police->key_id() << "\n"
            << "  victim pseudonym " << victim->substr(0, 16) << "... (the broker never sees the name)\n\n";
  for (const std::string& agency : directory->Agencies()) {
    absl::StatusOr<crypto::EncryptionKey> key =
        crypto::ReadEncryptionKey(paths.AgencyEncryptionKey(agency));
    if (!key.ok()) {
      std::cout << agency << ": cannot read own key: " << key.status().message() << "\n";
      continue;
    }
    absl::StatusOr<crypto::OpenedEvent> opened =
        crypto::OpenEvent(*envelope, police->public_key(), agency, *key);
    if (!opened.ok()) {
      std::cout << agency << ": REJECTED: " << opened.status().message() << "\n";
      continue;
    }
    if (opened->sections.empty()) {
      std::cout << agency << ": signature verified; not a recipient, can open nothing\n";
      continue;
    }
    std::cout << agency << ": signature and digests verified; opened "
              << opened->sections.size() << " of " << envelope->sections_size()
              << " sections\n";
    for (const crypto::OpenedSection& s : opened->sections) {
      std::cout << "    " << s.name << ": " << Render(s) << "\n";
    }
    if (!opened->not_for_me.empty()) {
      std::cout << "    withheld (no key for this agency): "
                << absl::StrJoin(opened->not_for_me, ", ") << "\n";
    }
  }
  // Tampering is detected: flip one bit of the victim_contact ciphertext.
  v1::Envelope tampered = *envelope;
  for (v1::SealedSection& s : *tampered.mutable_sections()) {
    if (s.name() == "victim_contact") (*s.mutable_ciphertext())[0] ^= 1;
  }
  absl::StatusOr<crypto::EncryptionKey> vs =
      crypto::ReadEncryptionKey(paths.AgencyEncryptionKey("victim_services"));
  if (vs.ok()) {
    absl::StatusOr<crypto::OpenedEvent> bad =
        crypto::OpenEvent(tampered, police->public_key(), "victim_services", *vs);
    std::cout << "\nAfter flipping one bit of victim_contact in transit, victim_services gets: "
              << (bad.ok() ? std::string("OPENED (BUG)") : std::string(bad.status().message()))
              << "\n";
  }
  return 0;
}

}  // namespace

int RunDemoCommand(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::cout << kUsage;
    return argv.empty() ? 2 : 0;
  }
  if (argv[0] == "seal-open" && argv.size() == 2) return SealOpen(argv[1]);
  std::cerr << kUsage;
  return 2;
}

}  // namespace accord::cli
