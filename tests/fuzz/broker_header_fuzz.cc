// The broker's checks of what an agency sends, through their public seam
// (broker/exchange.h): Exchange::PlanShare and Exchange::Publish, on the parts
// the broker runs with: a partnership made at start (keys, certificates,
// signed directory), the example policy, RocksDB in a temporary folder. The
// first input byte picks the path, the rest is
//   0: header bytes, planned as "police" (parse, sender, kind, policy);
//   1: header bytes that the target signs as police and seals for the plan the
//      broker gave, then publishes: the checks after the signature run too
//      (limits, ids, pseudonyms, times, policy re-evaluation, wraps, storage).
//      A wrap of victim_contact for the perpetrator programme is always added
//      to a second copy, which must be refused (the example policy's forbid);
//   2: envelope bytes, published as "police" as they come.
// ACCORD_FUZZ_VERBOSE=1 prints each answer (to see how far a seed gets).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "broker/exchange.h"
#include "broker/partnership_directory.h"
#include "broker/rocksdb_store.h"
#include "cli/partnership.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_support.h"

namespace accord::fuzz {
namespace {

constexpr char kAgencies[] =
    "police,probation,childrens_services,victim_services,perpetrator_programme,marac_coordinator,auditor";

struct Broker {
  std::unique_ptr<broker::PartnershipDirectory> directory;
  std::unique_ptr<policy::PolicyHolder> policy;
  std::unique_ptr<broker::Store> store;
  std::unique_ptr<crypto::SigningKey> log_key;
  std::unique_ptr<crypto::SigningKey> police;
  broker::QueueNotifier notifier;
  std::ostream discard{nullptr};
  std::unique_ptr<broker::Logger> logger;
  std::unique_ptr<broker::Exchange> exchange;

  Broker() {
    if (!crypto::InitSodium().ok()) Fail("libsodium");
    cli::PartnershipOptions o;
    o.dir = ScratchPath("partnership");
    o.agencies = *cli::ParseAgencies(kAgencies);
    if (absl::Status s = cli::InitPartnership(o); !s.ok()) Fail(s.ToString());
    const crypto::PartnershipPaths paths(o.dir);
    directory = std::make_unique<broker::PartnershipDirectory>(*broker::PartnershipDirectory::Load(o.dir));
    policy = *policy::PolicyHolder::Create(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml");
    store = *broker::OpenRocksDbStore(ScratchPath("data"), *crypto::ReadSigningKey(paths.LogKey()));
    log_key = std::make_unique<crypto::SigningKey>(*crypto::ReadSigningKey(paths.LogKey()));
    police = std::make_unique<crypto::SigningKey>(*crypto::ReadSigningKey(paths.AgencySigningKey("police")));
    logger = std::make_unique<broker::Logger>(&discard);
    broker::BrokerContext ctx;
    ctx.store = store.get();
    ctx.policy = policy.get();
    ctx.directory = directory.get();
    ctx.log_key = log_key.get();
    ctx.log = logger.get();
    ctx.notifier = &notifier;
    exchange = std::make_unique<broker::Exchange>(ctx);
  }

  std::vector<crypto::RecipientKey> Recipients(const v1::SharePlan& plan) const {
    std::vector<crypto::RecipientKey> out;
    for (const v1::RecipientPlan& r : plan.recipients()) {
      if (!r.has_entry()) continue;
      v1::DirectoryEntry e;
      if (!e.ParseFromString(r.entry().entry())) continue;
      crypto::RecipientKey k{e.agency_id(), e.encryption_key_id(), e.encryption_public_key(), {}};
      for (const v1::SectionGrant& g : r.decision().grants()) k.sections.push_back(g.section());
      if (!k.sections.empty()) out.push_back(std::move(k));
    }
    return out;
  }

  crypto::RecipientKey Programme() const {
    absl::StatusOr<v1::DirectoryEntry> e = directory->verified().Current("perpetrator_programme", absl::Now());
    if (!e.ok()) Fail("no directory entry for the perpetrator programme");
    return {e->agency_id(), e->encryption_key_id(), e->encryption_public_key(), {"victim_contact"}};
  }
};

void Say(const char* what, const absl::Status& status) {
  static const bool verbose = std::getenv("ACCORD_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::cerr << what << ": " << status << "\n";
}

bool ForbiddenWrap(const v1::Envelope& envelope) {
  for (const v1::KeyWrap& w : envelope.wraps()) {
    if (w.recipient() == "perpetrator_programme" && w.section() == "victim_contact") return true;
  }
  return false;
}

void SealAndPublish(Broker& b, const std::string& header_bytes) {
  v1::EventHeader h;
  if (!h.ParseFromString(header_bytes)) return;
  h.set_sender("police");
  h.set_signing_key_id(b.police->key_id());
  absl::StatusOr<v1::SharePlan> plan = b.exchange->PlanShare("police", h.SerializeAsString());
  Say("plan", plan.status());
  if (!plan.ok()) return;
  h.set_policy_version(plan->policy_version());
  std::vector<crypto::PlainSection> sections;
  std::set<std::string> names;
  for (const v1::SectionRef& s : h.sections()) {
    if (names.insert(s.name()).second) sections.push_back({s.name(), s.content_type(), "fuzz " + s.name()});
  }
  std::vector<crypto::RecipientKey> recipients = b.Recipients(*plan);
  if (names.count("victim_contact") > 0) {
    std::vector<crypto::RecipientKey> forbidden = recipients;
    forbidden.push_back(b.Programme());
    absl::StatusOr<v1::Envelope> bad = crypto::SealEvent(h, sections, forbidden, *b.police);
    if (bad.ok() && b.exchange->Publish("police", *bad).ok()) {
      Fail("published victim_contact wrapped for the perpetrator programme");
    }
  }
  absl::StatusOr<v1::Envelope> envelope = crypto::SealEvent(h, sections, recipients, *b.police);
  if (!envelope.ok()) return;
  absl::StatusOr<v1::Receipt> receipt = b.exchange->Publish("police", *envelope);
  Say("publish", receipt.status());
  if (!receipt.ok()) return;
  if (ForbiddenWrap(*envelope)) Fail("the plan granted victim_contact to the perpetrator programme");
  // The same envelope again: the original receipt, marked as re-served. (An
  // envelope without sections is the same bytes each time it is sealed, so
  // the first publish may already re-serve an earlier input's receipt.)
  absl::StatusOr<v1::Receipt> again = b.exchange->Publish("police", *envelope);
  if (!again.ok()) Fail("publishing the same envelope twice failed: " + again.status().ToString());
  v1::ReceiptBody first, second;
  if (!first.ParseFromString(receipt->body()) || !second.ParseFromString(again->body())) Fail("receipt body");
  if (!second.duplicate()) Fail("a re-served receipt is not marked as a duplicate");
  first.set_duplicate(false);
  second.set_duplicate(false);
  if (!google::protobuf::util::MessageDifferencer::Equals(first, second)) Fail("a re-served receipt differs");
}

}  // namespace
}  // namespace accord::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  static fuzz::Broker* b = new fuzz::Broker();
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      fuzz::Say("plan", b->exchange->PlanShare("police", rest).status());
      break;
    case 1:
      fuzz::SealAndPublish(*b, rest);
      break;
    default: {
      v1::Envelope envelope;
      if (envelope.ParseFromString(rest)) fuzz::Say("publish", b->exchange->Publish("police", envelope).status());
    }
  }
  return 0;
}
