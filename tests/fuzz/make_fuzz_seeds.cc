// Writes the seeds that must be signed or are binary protobuf, into
// OUTDIR/<target>/: envelopes sealed with fuzz_support.h's keys, event headers
// for the broker target, audit records, and proof files signed with the fixed
// log key over a small tree. The other targets' seeds are text files checked
// in under tests/fuzz/corpus/.
//   make_fuzz_seeds OUTDIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "accord/v1/events.pb.h"
#include "broker/audit/merkle.h"
#include "broker/audit/proof_file.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "tests/fuzz/fuzz_support.h"

namespace accord::fuzz {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSignedAt = 1795000000;  // 2026-11-18; seeds need not verify against today

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    std::cerr << "cannot write " << (dir / name) << "\n";
    std::exit(1);
  }
}

v1::EventHeader Header(const std::string& id, v1::EventKind kind) {
  v1::EventHeader h;
  h.set_version(1);
  h.set_event_id(id);
  h.set_kind(kind);
  h.set_sender("police");
  h.set_case_ref("CASE-2025-0117");
  h.mutable_actor()->set_role("police_officer");
  h.mutable_actor()->set_staff_ref("4512");
  h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
  h.add_flags(v1::FLAG_CHILDREN_IN_HOUSEHOLD);
  h.add_flags(v1::FLAG_STRANGULATION);
  for (auto [ref, role] : {std::pair{'a', v1::SUBJECT_ROLE_VICTIM}, std::pair{'b', v1::SUBJECT_ROLE_PERPETRATOR},
                           std::pair{'c', v1::SUBJECT_ROLE_CHILD}}) {
    v1::SubjectRef* s = h.add_subjects();
    s->set_ref(std::string(64, ref));
    s->set_role(role);
  }
  h.mutable_occurred_at()->set_seconds(kSignedAt - 3600);
  h.mutable_signed_at()->set_seconds(kSignedAt);
  return h;
}

std::vector<v1::EventHeader> Headers() {
  std::vector<v1::EventHeader> out;
  v1::EventHeader incident = Header("police-fuzz-0001", v1::EVENT_KIND_DOMESTIC_INCIDENT);
  for (const char* s : {"summary", "risk", "detail", "children", "victim_contact"}) {
    incident.add_sections()->set_name(s);
  }
  out.push_back(incident);
  v1::EventHeader consented = incident;
  consented.set_event_id("police-fuzz-0002");
  consented.mutable_consent()->set_purpose("victim_support");
  consented.mutable_consent()->set_subject_ref(std::string(64, 'a'));
  consented.mutable_consent()->set_consent_event_id("victim_services-consent-1");
  out.push_back(consented);
  v1::EventHeader overridden = incident;
  overridden.set_event_id("police-fuzz-0003");
  overridden.set_kind(v1::EVENT_KIND_SAFEGUARDING_CONCERN);
  overridden.mutable_risk()->set_level(v1::RISK_LEVEL_VERY_HIGH);
  overridden.mutable_override()->set_reason("risk_to_child");
  overridden.mutable_override()->mutable_authorised_by()->set_role("inspector");
  overridden.mutable_override()->mutable_authorised_by()->set_staff_ref("1187");
  overridden.mutable_override()->set_justification_section("override_justification");
  overridden.add_sections()->set_name("override_justification");
  v1::CaseRelation* rel = overridden.add_relations();
  rel->set_relation("referrer");
  rel->set_agency("probation");
  out.push_back(overridden);
  v1::EventHeader consent = Header("victim_services-consent-1", v1::EVENT_KIND_CONSENT_RECORDED);
  consent.mutable_consent_statement()->set_subject_ref(std::string(64, 'a'));
  consent.mutable_consent_statement()->set_purpose("victim_support");
  consent.mutable_consent_statement()->set_state(v1::CONSENT_STATE_GIVEN);
  consent.add_sections()->set_name("summary");
  out.push_back(consent);
  return out;
}

std::vector<crypto::PlainSection> Sections(const v1::EventHeader& h) {
  std::vector<crypto::PlainSection> out;
  for (const v1::SectionRef& s : h.sections()) {
    v1::Summary summary;
    summary.set_headline("Seed section " + s.name());
    out.push_back({s.name(), "accord.v1.Summary", summary.SerializeAsString()});
  }
  return out;
}

void Envelopes(const fs::path& out) {
  const crypto::SigningKey sender = *crypto::SigningKey::FromSeed(SenderSeed());
  const crypto::EncryptionKey recipient = *crypto::EncryptionKey::FromSecret(RecipientSecret());
  int n = 0;
  for (const v1::EventHeader& h : Headers()) {
    std::vector<std::string> mine;
    for (const v1::SectionRef& s : h.sections()) {
      if (s.name() != "children") mine.push_back(s.name());
    }
    const std::vector<crypto::RecipientKey> recipients = {
        {"victim_services", recipient.key_id(), recipient.public_key(), mine},
        {"probation", recipient.key_id(), recipient.public_key(), {"summary"}}};
    absl::StatusOr<v1::Envelope> env = crypto::SealEvent(h, Sections(h), recipients, sender);
    if (!env.ok()) {
      std::cerr << env.status() << "\n";
      std::exit(1);
    }
    // A seed that does not verify would only test the first refusal.
    if (absl::StatusOr<crypto::OpenedEvent> opened =
            crypto::OpenEvent(*env, sender.public_key(), "victim_services", recipient);
        !opened.ok() || opened->sections.size() != mine.size()) {
      std::cerr << "seed envelope does not open: " << opened.status() << "\n";
      std::exit(1);
    }
    ++n;
    Write(out / "envelope", "sealed-" + std::to_string(n), env->SerializeAsString());
    Write(out / "broker_header", "publish-envelope-" + std::to_string(n), std::string(1, '\x02') + env->SerializeAsString());
  }
}

void BrokerHeaders(const fs::path& out) {
  int n = 0;
  for (v1::EventHeader h : Headers()) {
    h.clear_signed_at();  // the broker bounds signed_at to its window around now
    ++n;
    Write(out / "broker_header", "plan-" + std::to_string(n), std::string(1, '\x00') + h.SerializeAsString());
    Write(out / "broker_header", "publish-" + std::to_string(n), std::string(1, '\x01') + h.SerializeAsString());
  }
}

std::vector<v1::AuditRecord> Records() {
  std::vector<v1::AuditRecord> out;
  const v1::EventHeader h = Headers()[2];
  v1::AuditRecord r;
  r.set_sequence(0);
  r.set_action(v1::AUDIT_ACTION_EVENT_RECEIVED);
  r.mutable_time()->set_seconds(kSignedAt);
  r.mutable_time()->set_nanos(123456000);
  r.set_actor_agency("police");
  *r.mutable_actor() = h.actor();
  r.set_event_id(h.event_id());
  r.set_event_kind(h.kind());
  r.set_case_ref(h.case_ref());
  *r.mutable_subjects() = h.subjects();
  r.set_policy_hash(std::string(64, 'e'));
  *r.mutable_override() = h.override();
  r.set_envelope_sha256(std::string(32, '\x11'));
  out.push_back(r);
  v1::AuditRecord routed = r;
  routed.set_sequence(1);
  routed.set_action(v1::AUDIT_ACTION_ROUTED);
  routed.set_recipient("childrens_services");
  routed.add_sections("summary");
  routed.add_sections("children");
  routed.add_rule_ids("children-at-risk");
  routed.add_bases(v1::LAWFUL_BASIS_SAFEGUARDING_CHILDREN);
  out.push_back(routed);
  v1::AuditRecord withheld = routed;
  withheld.set_sequence(2);
  withheld.set_action(v1::AUDIT_ACTION_WITHHELD);
  withheld.set_recipient("perpetrator_programme");
  withheld.clear_sections();
  withheld.add_sections("victim_contact");
  withheld.clear_rule_ids();
  withheld.add_rule_ids("never-victim-contact-to-programme");
  withheld.set_reason("forbid: victim safety\x1b[2J");
  out.push_back(withheld);
  // The form the broker writes: one record listing every withholding.
  v1::AuditRecord listed = withheld;
  listed.clear_recipient();
  listed.clear_sections();
  listed.clear_rule_ids();
  listed.clear_reason();
  for (const char* to : {"perpetrator_programme", "auditor\x1b[2J"}) {
    v1::Withholding* w = listed.add_withheld();
    w->set_recipient(to);
    w->set_section("victim_contact");
    w->set_rule_id("never-victim-contact-to-programme");
    w->set_reason("forbid: victim safety\r");
  }
  out.push_back(listed);
  v1::AuditRecord pulled;
  pulled.set_sequence(3);
  pulled.set_action(v1::AUDIT_ACTION_MEETING_PACK_PULLED);
  pulled.mutable_time()->set_seconds(kSignedAt + 60);
  pulled.set_actor_agency("probation");
  pulled.set_meeting_id("daily-discussion");
  pulled.set_queue_sequence(17);
  out.push_back(pulled);
  v1::AuditRecord consent;
  consent.set_sequence(4);
  consent.set_action(v1::AUDIT_ACTION_CONSENT_RECORDED);
  consent.set_actor_agency("victim_services");
  *consent.mutable_consent_statement() = Headers()[3].consent_statement();
  consent.set_key_id("0123456789abcdef");
  out.push_back(consent);
  return out;
}

void AuditRecords(const fs::path& out) {
  int n = 0;
  for (const v1::AuditRecord& r : Records()) Write(out / "audit_record", "record-" + std::to_string(++n), r.SerializeAsString());
  Write(out / "audit_record", "time", "2026-11-23T03:40:54.123456+01:00");
  Write(out / "audit_record", "action", "AUDIT_ACTION_ROUTED");
}

v1::SignedTreeHead Head(const crypto::SigningKey& key, uint64_t size, const std::string& root) {
  v1::TreeHead th;
  th.set_tree_size(size);
  th.set_root_hash(root);
  th.mutable_timestamp()->set_seconds(kSignedAt + static_cast<int64_t>(size));
  th.set_log_key_id(key.key_id());
  v1::SignedTreeHead sth;
  sth.set_tree_head(th.SerializeAsString());
  sth.set_signature(key.Sign(crypto::kTreeHeadType, sth.tree_head()));
  return sth;
}

void WriteProof(const fs::path& out, const std::string& name, const audit::ProofFile& proof,
                std::string_view log_public_key) {
  const std::string text = audit::FormatProofFile(proof);
  absl::StatusOr<audit::ProofFile> parsed = audit::ParseProofFile(text);
  absl::Status checked = parsed.ok() ? audit::CheckProofFile(*parsed, log_public_key).status() : parsed.status();
  if (!checked.ok()) {
    std::cerr << "seed proof file " << name << " does not check: " << checked << "\n";
    std::exit(1);
  }
  Write(out / "proof_file", name, text);
}

void ProofFiles(const fs::path& out) {
  const crypto::SigningKey key = *crypto::SigningKey::FromSeed(LogKeySeed());
  std::vector<std::string> leaves;
  for (const v1::AuditRecord& r : Records()) leaves.push_back(r.SerializeAsString());
  // The tree of the first three leaves: root = H(H(l0, l1), l2).
  const std::string h0 = audit::LeafHash(leaves[0]), h1 = audit::LeafHash(leaves[1]), h2 = audit::LeafHash(leaves[2]);
  const std::string root2 = audit::NodeHash(h0, h1);
  const std::string root3 = audit::NodeHash(root2, h2);

  audit::ProofFile head;
  head.kind = audit::ProofKind::kHead;
  head.heads = {Head(key, 3, root3)};
  WriteProof(out, "head", head, key.public_key());

  audit::ProofFile inclusion;
  inclusion.kind = audit::ProofKind::kInclusion;
  inclusion.leaf = leaves[1];
  inclusion.inclusion.set_leaf_index(1);
  inclusion.inclusion.set_tree_size(3);
  inclusion.inclusion.add_hashes(h0);
  inclusion.inclusion.add_hashes(h2);
  inclusion.heads = {Head(key, 3, root3)};
  WriteProof(out, "inclusion", inclusion, key.public_key());

  audit::ProofFile consistency;
  consistency.kind = audit::ProofKind::kConsistency;
  consistency.consistency.set_first_size(2);
  consistency.consistency.set_second_size(3);
  consistency.consistency.add_hashes(h2);
  consistency.heads = {Head(key, 2, root2), Head(key, 3, root3)};
  WriteProof(out, "consistency", consistency, key.public_key());
}

}  // namespace
}  // namespace accord::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_seeds OUTDIR\n";
    return 2;
  }
  if (!accord::crypto::InitSodium().ok()) return 1;
  const std::filesystem::path out(argv[1]);
  accord::fuzz::Envelopes(out);
  accord::fuzz::BrokerHeaders(out);
  accord::fuzz::AuditRecords(out);
  accord::fuzz::ProofFiles(out);
  return 0;
}
