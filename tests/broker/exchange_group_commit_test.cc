// Group commit in the publish path (broker/exchange.h, Store::ApplyBatch): the
// publishes queued while a batch is written are ordered, each seeing the ones
// before it, and committed together with one synced write and one signed tree
// head; a failed batch fails all of them and stores none. Real partnership
// keys and policy, RocksDB in a temporary directory; the only stand-in is a
// Store that passes everything to the real one but can hold a write (a slow
// disk) and make one mutation of a batch fail (Mutation::finalize's error).
#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "broker/audit/merkle.h"
#include "broker/audit/offline_verify.h"
#include "broker/audit/verifier.h"
#include "broker/exchange.h"
#include "broker/partnership_directory.h"
#include "broker/rocksdb_store.h"
#include "cli/partnership.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "crypto/partnership.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace accord::broker {
namespace {

const std::string kVictim(64, 'a');
const std::string kPerpetrator(64, 'b');

// The real store, with a gate in front of its writes and one fault to arm.
class GatedStore : public Store {
 public:
  explicit GatedStore(std::unique_ptr<Store> real) : real_(std::move(real)) {}

  // The next ApplyBatch waits until Open().
  void Close() {
    absl::MutexLock l(&mu_);
    closed_ = true;
  }
  void Open() {
    absl::MutexLock l(&mu_);
    closed_ = false;
  }
  // Blocks until an ApplyBatch is waiting at the closed gate.
  void AwaitWaiting() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(&waiting_));
  }
  // The next batch's middle mutation fails after positions are assigned.
  void FailNextBatchInTheMiddle() {
    absl::MutexLock l(&mu_);
    fail_next_ = true;
  }
  std::vector<size_t> batch_sizes() const {
    absl::MutexLock l(&mu_);
    return sizes_;
  }

  absl::StatusOr<std::vector<Assigned>> ApplyBatch(std::vector<Mutation> ms, absl::Time now) override {
    {
      absl::MutexLock l(&mu_);
      // Armed before this batch arrived, not while it waits at the gate.
      const bool fail = std::exchange(fail_next_, false);
      waiting_ = closed_;
      mu_.Await(absl::Condition(this, &GatedStore::Opened));
      waiting_ = false;
      sizes_.push_back(ms.size());
      if (fail) {
        Mutation& middle = ms[ms.size() / 2];
        middle.finalize = [inner = std::move(middle.finalize)](const Assigned& a, StoredEvent* e) {
          if (inner) (void)inner(a, e);
          return absl::DataLossError("injected: the batch's middle mutation fails");
        };
      }
    }
    return real_->ApplyBatch(std::move(ms), now);
  }
  absl::StatusOr<std::optional<StoredEvent>> FindEvent(const std::string& id) const override {
    return real_->FindEvent(id);
  }
  absl::StatusOr<std::vector<QueueItem>> ReadQueue(const std::string& a, uint64_t after,
                                                   size_t limit) const override {
    return real_->ReadQueue(a, after, limit);
  }
  uint64_t QueueHead(const std::string& a) const override { return real_->QueueHead(a); }
  uint64_t AckedThrough(const std::string& a) const override { return real_->AckedThrough(a); }
  uint64_t DeliveredThrough(const std::string& a) const override { return real_->DeliveredThrough(a); }
  absl::StatusOr<std::optional<v1::ConsentStatus>> GetConsent(const std::string& s,
                                                              const std::string& p) const override {
    return real_->GetConsent(s, p);
  }
  absl::StatusOr<CaseState> GetCase(const std::string& c) const override { return real_->GetCase(c); }
  absl::StatusOr<PerpetratorState> GetPerpetrator(const std::string& s) const override {
    return real_->GetPerpetrator(s);
  }
  absl::StatusOr<std::vector<DueNotice>> DueNotices(absl::Time now, size_t limit) const override {
    return real_->DueNotices(now, limit);
  }
  absl::StatusOr<std::optional<MeetingCursor>> GetCursor(const std::string& m,
                                                         const std::string& a) const override {
    return real_->GetCursor(m, a);
  }
  uint64_t EventCount() const override { return real_->EventCount(); }
  WriteTotals Written() const override { return real_->Written(); }
  absl::Status WriteError() const override { return real_->WriteError(); }
  absl::Status Recover() override { return real_->Recover(); }
  const audit::AuditLog& audit() const override { return real_->audit(); }

 private:
  bool Opened() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !closed_; }

  std::unique_ptr<Store> real_;
  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_next_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<size_t> sizes_ ABSL_GUARDED_BY(mu_);
};

// One publish's answer, waited for.
struct Answer {
  absl::Notification done;
  absl::StatusOr<v1::Receipt> receipt;
  Exchange::ReceiptCallback callback() {
    return [this](absl::StatusOr<v1::Receipt> r) {
      receipt = std::move(r);
      done.Notify();
    };
  }
  absl::StatusOr<v1::ReceiptBody> Body() {
    done.WaitForNotification();
    if (!receipt.ok()) return receipt.status();
    v1::ReceiptBody body;
    if (!body.ParseFromString(receipt->body())) return absl::DataLossError("receipt body does not parse");
    return body;
  }
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitSodium().ok());
    cli::PartnershipOptions o;
    o.dir = tmp_.Path("p");
    o.agencies = *cli::ParseAgencies(
        "police,probation,childrens_services,victim_services,perpetrator_programme,marac_coordinator,auditor");
    ASSERT_TRUE(cli::InitPartnership(o).ok());
    paths_ = std::make_unique<crypto::PartnershipPaths>(o.dir);
    directory_ = std::make_unique<PartnershipDirectory>(*PartnershipDirectory::Load(o.dir));
    policy_ = *policy::PolicyHolder::Create(ACCORD_SOURCE_DIR "/tests/policies/one-programme.yaml");
    absl::StatusOr<std::unique_ptr<Store>> real =
        OpenRocksDbStore(tmp_.Path("data"), *crypto::ReadSigningKey(paths_->LogKey()));
    ASSERT_TRUE(real.ok()) << real.status();
    store_ = std::make_unique<GatedStore>(*std::move(real));
    log_key_ = std::make_unique<crypto::SigningKey>(*crypto::ReadSigningKey(paths_->LogKey()));
    log_pub_ = *crypto::ReadSigningPublicKey(paths_->LogPublicKey());
    logger_ = std::make_unique<Logger>(&log_sink_);
    BrokerContext ctx;
    ctx.store = store_.get();
    ctx.policy = policy_.get();
    ctx.directory = directory_.get();
    ctx.log_key = log_key_.get();
    ctx.log = logger_.get();
    ctx.notifier = &notifier_;
    exchange_ = std::make_unique<Exchange>(ctx);
  }
  void TearDown() override {
    store_->Open();
    exchange_.reset();
  }

  v1::EventHeader Header(const std::string& sender, const std::string& id, v1::EventKind kind,
                         const std::string& case_ref) {
    v1::EventHeader h;
    h.set_version(1);
    h.set_event_id(id);
    h.set_kind(kind);
    h.set_sender(sender);
    h.mutable_actor()->set_role("test_officer");
    h.mutable_actor()->set_staff_ref("staff-1");
    h.set_case_ref(case_ref);
    h.set_policy_version(policy_->Version());
    v1::SubjectRef* v = h.add_subjects();
    v->set_ref(kVictim);
    v->set_role(v1::SUBJECT_ROLE_VICTIM);
    v1::SubjectRef* p = h.add_subjects();
    p->set_ref(kPerpetrator);
    p->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
    h.mutable_risk()->set_level(v1::RISK_LEVEL_HIGH);
    h.mutable_risk()->set_tool(v1::RISK_TOOL_DASH);
    h.mutable_risk()->set_score(17);
    *h.mutable_occurred_at() = google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
    return h;
  }
  v1::EventHeader Incident(const std::string& id, const std::string& case_ref) {
    v1::EventHeader h = Header("police", id, v1::EVENT_KIND_DOMESTIC_INCIDENT, case_ref);
    h.mutable_risk()->set_level(v1::RISK_LEVEL_MEDIUM);
    h.mutable_risk()->set_score(6);
    return h;
  }
  v1::EventHeader Consent(const std::string& id, v1::ConsentState state) {
    v1::EventHeader h = Header("victim_services", id, v1::EVENT_KIND_CONSENT_RECORDED, "case-consent");
    h.mutable_risk()->set_level(v1::RISK_LEVEL_UNSPECIFIED);
    h.mutable_risk()->set_score(0);
    v1::ConsentStatement* cs = h.mutable_consent_statement();
    cs->set_subject_ref(kVictim);
    cs->set_purpose("victim_support");
    cs->set_state(state);
    return h;
  }

  // Plans `h` now and seals its sections for exactly that plan, as an agent does.
  v1::Envelope Seal(v1::EventHeader h, const std::vector<std::string>& sections) {
    for (const std::string& s : sections) h.add_sections()->set_name(s);  // what the plan is for
    absl::StatusOr<v1::SharePlan> plan = exchange_->PlanShare(h.sender(), h.SerializeAsString());
    EXPECT_TRUE(plan.ok()) << plan.status();
    std::vector<crypto::RecipientKey> recipients;
    for (const v1::RecipientPlan& r : plan->recipients()) {
      v1::DirectoryEntry e = *directory_->verified().Current(r.decision().recipient(), absl::Now());
      crypto::RecipientKey k{e.agency_id(), e.encryption_key_id(), e.encryption_public_key(), {}};
      for (const v1::SectionGrant& g : r.decision().grants()) {
        if (std::find(sections.begin(), sections.end(), g.section()) != sections.end()) k.sections.push_back(g.section());
      }
      if (!k.sections.empty()) recipients.push_back(k);
    }
    std::vector<crypto::PlainSection> plain;
    for (const std::string& s : sections) plain.push_back({s, "accord.v1.Summary", absl::StrCat("text of ", s)});
    const crypto::SigningKey key = *crypto::ReadSigningKey(paths_->AgencySigningKey(h.sender()));
    absl::StatusOr<v1::Envelope> env = crypto::SealEvent(std::move(h), plain, recipients, key);
    EXPECT_TRUE(env.ok()) << env.status();
    return *env;
  }
  static bool Wraps(const v1::Envelope& env, const std::string& recipient) {
    for (const v1::KeyWrap& w : env.wraps()) {
      if (w.recipient() == recipient) return true;
    }
    return false;
  }

  // Holds the writer in a batch of its own (a warm-up publish) until Release,
  // so that what is published meanwhile queues up for the next batch.
  void HoldTheWriter(const std::string& id = "police-hold") {
    hold_ = std::make_unique<Answer>();
    store_->Close();
    exchange_->PublishAsync("police", Seal(Incident(id, "case-hold"), {"summary"}), hold_->callback());
    store_->AwaitWaiting();
  }
  void Release() {
    store_->Open();
    ASSERT_TRUE(hold_->Body().ok()) << hold_->Body().status();
  }
  void StartExchange(BatchBounds bounds) {
    BrokerContext ctx = exchange_->context();
    exchange_.reset();
    exchange_ = std::make_unique<Exchange>(ctx, bounds);
  }

  // The head verifies and `body`'s EVENT_RECEIVED record is in it, provably.
  void ExpectProvedInItsHead(const v1::ReceiptBody& body) {
    absl::StatusOr<v1::TreeHead> head = audit::VerifySignedTreeHead(body.tree_head(), log_pub_);
    ASSERT_TRUE(head.ok()) << head.status();
    ASSERT_LT(body.audit_leaf_index(), head->tree_size());
    absl::StatusOr<std::string> leaf = store_->audit().LeafBytes(body.audit_leaf_index());
    ASSERT_TRUE(leaf.ok()) << leaf.status();
    v1::AuditRecord record;
    ASSERT_TRUE(record.ParseFromString(*leaf));
    EXPECT_EQ(record.action(), v1::AUDIT_ACTION_EVENT_RECEIVED);
    EXPECT_EQ(record.event_id(), body.event_id());
    absl::StatusOr<v1::InclusionProof> proof = store_->audit().ProveInclusion(body.audit_leaf_index(), head->tree_size());
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(audit::VerifyInclusion(audit::LeafHash(*leaf), *proof, head->root_hash()).ok());
  }

  testing::TempDir tmp_;
  std::unique_ptr<crypto::PartnershipPaths> paths_;
  std::unique_ptr<PartnershipDirectory> directory_;
  std::unique_ptr<policy::PolicyHolder> policy_;
  std::unique_ptr<GatedStore> store_;
  std::unique_ptr<crypto::SigningKey> log_key_;
  std::string log_pub_;
  QueueNotifier notifier_;
  std::ostringstream log_sink_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<Exchange> exchange_;
  std::unique_ptr<Answer> hold_;
};

TEST_F(GroupCommitTest, PublishesQueuedDuringAWriteShareOneSyncedBatchAndOneSignedHead) {
  std::vector<v1::Envelope> envs;
  for (int i = 0; i < 5; ++i) {
    envs.push_back(Seal(Incident(absl::StrCat("police-batch-", i), absl::StrCat("case-", i)), {"summary", "risk"}));
  }
  const Store::WriteTotals before = store_->Written();
  HoldTheWriter();
  std::vector<std::unique_ptr<Answer>> answers;
  for (const v1::Envelope& env : envs) {
    answers.push_back(std::make_unique<Answer>());
    exchange_->PublishAsync("police", env, answers.back()->callback());
  }
  Release();
  std::vector<v1::ReceiptBody> bodies;
  for (auto& a : answers) {
    absl::StatusOr<v1::ReceiptBody> b = a->Body();
    ASSERT_TRUE(b.ok()) << b.status();
    bodies.push_back(*b);
  }
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 5})) << "the five queued publishes were one write";
  const Store::WriteTotals after = store_->Written();
  EXPECT_EQ(after.batches - before.batches, 2u) << "the store counts the synced writes";
  EXPECT_GT(after.keys - before.keys, 6u * 6) << "six publishes, each its event, queue entries and records";
  EXPECT_GT(after.bytes - before.bytes, after.keys - before.keys);
  for (size_t i = 0; i < bodies.size(); ++i) {
    SCOPED_TRACE(bodies[i].event_id());
    EXPECT_EQ(bodies[i].sequence(), i + 2) << "sequence in queue order, after the held publish";
    EXPECT_EQ(bodies[i].tree_head().SerializeAsString(), bodies[0].tree_head().SerializeAsString())
        << "one signed head for the batch";
    if (i > 0) {
      EXPECT_GT(bodies[i].audit_leaf_index(), bodies[i - 1].audit_leaf_index()) << "records in sequence order";
    }
    ExpectProvedInItsHead(bodies[i]);
  }
  absl::StatusOr<v1::TreeHead> head = audit::VerifySignedTreeHead(bodies[0].tree_head(), log_pub_);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->tree_size(), store_->audit().size()) << "the batch's head is the log's latest";
  // The stored receipt (what a retry gets) is the one the publisher got.
  absl::StatusOr<v1::Receipt> again = exchange_->Publish("police", envs[2]);
  ASSERT_TRUE(again.ok()) << again.status();
  v1::ReceiptBody dup;
  ASSERT_TRUE(dup.ParseFromString(again->body()));
  EXPECT_TRUE(dup.duplicate());
  EXPECT_EQ(dup.sequence(), bodies[2].sequence());
  EXPECT_EQ(dup.tree_head().SerializeAsString(), bodies[2].tree_head().SerializeAsString());
}

// Deliveries and acks are ordered and committed by the writer with the
// publishes: one write for all, each seeing the ones before it in the batch.
TEST_F(GroupCommitTest, AcksAndFirstDeliveriesJoinThePublishBatchAndSeeTheOnesBeforeThem) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(exchange_->Publish("police", Seal(Header("police", absl::StrCat("police-d-", i), v1::EVENT_KIND_DOMESTIC_INCIDENT, "case-d"), {"summary"})).ok());
  }
  // An agency the test policy sends these high-risk incidents to.
  std::string to;
  for (const std::string& agency : directory_->verified().Agencies()) {
    if (to.empty() && store_->QueueHead(agency) == 3) to = agency;
  }
  ASSERT_FALSE(to.empty()) << "no agency received the three incidents: " << [&] {
    std::string heads;
    for (const std::string& a : directory_->verified().Agencies()) absl::StrAppend(&heads, a, "=", store_->QueueHead(a), " ");
    return heads;
  }();
  const size_t before = store_->batch_sizes().size();
  const v1::Envelope later = Seal(Header("police", "police-d-later", v1::EVENT_KIND_DOMESTIC_INCIDENT, "case-d"), {"summary"});
  HoldTheWriter();

  struct Deliveries {
    absl::Notification done;
    absl::StatusOr<std::vector<v1::Delivery>> got;
    Exchange::DeliveriesCallback callback() {
      return [this](absl::StatusOr<std::vector<v1::Delivery>> d) {
        got = std::move(d);
        done.Notify();
      };
    }
  } first, second;
  struct Acked {
    absl::Notification done;
    absl::StatusOr<v1::AckResponse> got;
    Exchange::AckCallback callback() {
      return [this](absl::StatusOr<v1::AckResponse> a) {
        got = std::move(a);
        done.Notify();
      };
    }
  } ack, ack_again, ack_too_far;
  // Two streams of `to` take the same positions in one batch, then it
  // acknowledges them twice, once too far; a publish goes with them.
  exchange_->TakeDeliveriesAsync(to, 0, 16, first.callback());
  exchange_->TakeDeliveriesAsync(to, 0, 16, second.callback());
  exchange_->AckAsync(to, 3, ack.callback());
  exchange_->AckAsync(to, 2, ack_again.callback());
  exchange_->AckAsync(to, 9, ack_too_far.callback());
  Answer published;
  exchange_->PublishAsync("police", later, published.callback());
  EXPECT_FALSE(first.done.HasBeenNotified()) << "no delivery before its DELIVERED record is durable";
  EXPECT_FALSE(ack.done.HasBeenNotified()) << "no ack answered before it is durable";
  Release();

  first.done.WaitForNotification();
  second.done.WaitForNotification();
  ack.done.WaitForNotification();
  ack_again.done.WaitForNotification();
  ack_too_far.done.WaitForNotification();
  ASSERT_TRUE(published.Body().ok()) << published.Body().status();
  ASSERT_TRUE(first.got.ok()) << first.got.status();
  ASSERT_TRUE(second.got.ok()) << second.got.status();
  EXPECT_EQ(first.got->size(), 3u);
  EXPECT_EQ(second.got->size(), 3u) << "a second stream gets the deliveries too";
  ASSERT_TRUE(ack.got.ok()) << ack.got.status();
  EXPECT_EQ(ack.got->acknowledged_through(), 3u);
  ASSERT_TRUE(ack_again.got.ok()) << ack_again.got.status();
  EXPECT_EQ(ack_again.got->acknowledged_through(), 3u) << "the earlier ack of the same batch is seen";
  EXPECT_EQ(ack_too_far.got.status().code(), absl::StatusCode::kOutOfRange) << ack_too_far.got.status();

  // Held publish, then one write: deliveries, ack and publish (the second take
  // and the repeated ack change nothing, the refused ack stores nothing).
  const std::vector<size_t> sizes = store_->batch_sizes();
  ASSERT_GE(sizes.size(), before + 2);
  EXPECT_EQ(sizes[before], 1u);
  EXPECT_EQ(sizes[before + 1], 3u) << "deliveries, ack and publish shared one synced write";
  EXPECT_EQ(store_->AckedThrough(to), 3u);
  EXPECT_EQ(store_->DeliveredThrough(to), 3u);

  auto count = [&](v1::AuditAction action) {
    v1::WhoSawQuery q;
    q.set_agency(to);
    q.add_actions(action);
    q.set_limit(1000);
    absl::StatusOr<std::vector<v1::WhoSawRow>> rows = store_->audit().Query(q);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::vector<uint64_t> positions;
    for (const v1::WhoSawRow& r : *rows) {
      if (r.record().recipient() == to) positions.push_back(r.record().queue_sequence());
    }
    return positions;
  };
  EXPECT_EQ(count(v1::AUDIT_ACTION_DELIVERED), (std::vector<uint64_t>{1, 2, 3})) << "each first delivery once";
  EXPECT_EQ(count(v1::AUDIT_ACTION_ACKNOWLEDGED), (std::vector<uint64_t>{1, 2, 3}));

  // Taken again after the audit: no write at all, answered at once.
  const size_t writes = store_->batch_sizes().size();
  absl::StatusOr<std::vector<v1::Delivery>> again = exchange_->TakeDeliveries(to, 0, 3);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->size(), 3u);
  EXPECT_EQ(store_->batch_sizes().size(), writes);
}

TEST_F(GroupCommitTest, EachPublishInABatchSeesTheOnesBeforeIt) {
  // Consent given, and an incident sealed for the IDVA under it.
  ASSERT_TRUE(exchange_->RecordConsent("victim_services",
                                       Seal(Consent("victim_services-consent-1", v1::CONSENT_STATE_GIVEN), {"summary"}))
                  .ok());
  const v1::Envelope incident = Seal(Incident("police-after-withdrawal", "case-9"), {"summary", "risk"});
  ASSERT_TRUE(Wraps(incident, "victim_services")) << "the plan under consent includes the IDVA";
  const v1::Envelope withdrawal = Seal(Consent("victim_services-consent-2", v1::CONSENT_STATE_WITHDRAWN), {"summary"});
  // A referral that makes probation the case's referrer, then an incident on
  // the same case: the second must not write back the case as it was before.
  v1::EventHeader ref = Header("probation", "probation-ref-1", v1::EVENT_KIND_REFERRAL, "case-7");
  v1::CaseRelation* referrer = ref.add_relations();
  referrer->set_relation("referrer");
  referrer->set_agency("probation");
  const v1::Envelope referral = Seal(ref, {"summary", "detail"});
  // (High risk: shared with the IDVA without consent, so the withdrawal
  // does not refuse it.)
  const v1::Envelope same_case =
      Seal(Header("police", "police-same-case", v1::EVENT_KIND_DOMESTIC_INCIDENT, "case-7"), {"summary"});

  HoldTheWriter();
  Answer withdrawn, refused, referred, later, twice;
  exchange_->RecordConsentAsync("victim_services", withdrawal, withdrawn.callback());
  exchange_->PublishAsync("police", incident, refused.callback());
  exchange_->PublishAsync("probation", referral, referred.callback());
  exchange_->PublishAsync("police", same_case, later.callback());
  exchange_->PublishAsync("police", same_case, twice.callback());  // a retry queued behind the first
  Release();

  ASSERT_TRUE(withdrawn.Body().ok()) << withdrawn.Body().status();
  absl::StatusOr<v1::ReceiptBody> r = refused.Body();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << "the withdrawal ordered before it stops the IDVA's sections: " << r.status();
  ASSERT_TRUE(referred.Body().ok()) << referred.Body().status();
  absl::StatusOr<v1::ReceiptBody> first = later.Body();
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<v1::ReceiptBody> retry = twice.Body();
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate()) << "a retry in the same batch gets the original receipt";
  EXPECT_EQ(retry->sequence(), first->sequence());
  EXPECT_FALSE(first->duplicate());

  absl::StatusOr<CaseState> c = store_->GetCase("case-7");
  ASSERT_TRUE(c.ok());
  bool has_referrer = false;
  for (const v1::CaseRelation& rel : c->relations()) {
    has_referrer |= rel.relation() == "referrer" && rel.agency() == "probation";
  }
  EXPECT_TRUE(has_referrer) << "the incident's case state starts from the referral's: " << c->DebugString();
  absl::StatusOr<std::optional<v1::ConsentStatus>> consent = store_->GetConsent(kVictim, "victim_support");
  ASSERT_TRUE(consent.ok() && consent->has_value());
  EXPECT_EQ((*consent)->state(), v1::CONSENT_STATE_WITHDRAWN);
  absl::StatusOr<std::optional<StoredEvent>> gone = store_->FindEvent("police-after-withdrawal");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(GroupCommitTest, AFailureInTheMiddleOfABatchFailsAllOfItsPublishesAndStoresNone) {
  std::vector<v1::Envelope> envs;
  for (int i = 0; i < 4; ++i) {
    envs.push_back(Seal(Incident(absl::StrCat("police-doomed-", i), "case-3"), {"summary", "risk"}));
  }
  const v1::Envelope consent = Seal(Consent("victim_services-consent-9", v1::CONSENT_STATE_GIVEN), {"summary"});
  HoldTheWriter();
  store_->FailNextBatchInTheMiddle();
  std::vector<std::unique_ptr<Answer>> answers;
  for (const v1::Envelope& env : envs) {
    answers.push_back(std::make_unique<Answer>());
    exchange_->PublishAsync("police", env, answers.back()->callback());
  }
  answers.push_back(std::make_unique<Answer>());
  exchange_->RecordConsentAsync("victim_services", consent, answers.back()->callback());
  Release();
  for (auto& a : answers) {
    absl::StatusOr<v1::ReceiptBody> b = a->Body();
    EXPECT_EQ(b.status().code(), absl::StatusCode::kDataLoss) << b.status();
  }
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 5}));
  // Nothing of the batch is stored or counted: no event, queue entry, record,
  // consent or case state; the log ends at the held publish's head.
  EXPECT_EQ(store_->EventCount(), 1u);
  const uint64_t records = audit::VerifySignedTreeHead(hold_->Body()->tree_head(), log_pub_)->tree_size();
  EXPECT_EQ(store_->audit().size(), records);
  for (const std::string& agency : directory_->verified().Agencies()) {
    absl::StatusOr<std::vector<QueueItem>> q = store_->ReadQueue(agency, 0, 100);
    ASSERT_TRUE(q.ok());
    for (const QueueItem& item : *q) EXPECT_EQ(item.entry.event_id(), "police-hold") << agency;
    EXPECT_EQ(store_->QueueHead(agency), q->size()) << agency;
  }
  for (const v1::Envelope& env : envs) {
    v1::EventHeader h;
    h.ParseFromString(env.header());
    absl::StatusOr<std::optional<StoredEvent>> e = store_->FindEvent(h.event_id());
    ASSERT_TRUE(e.ok());
    EXPECT_FALSE(e->has_value()) << h.event_id();
  }
  absl::StatusOr<std::optional<v1::ConsentStatus>> c = store_->GetConsent(kVictim, "victim_support");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  absl::StatusOr<CaseState> case3 = store_->GetCase("case-3");
  ASSERT_TRUE(case3.ok());
  EXPECT_EQ(case3->ByteSizeLong(), 0u) << case3->DebugString();
  absl::StatusOr<v1::SignedTreeHead> latest = store_->audit().LatestSignedHead();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(audit::VerifySignedTreeHead(*latest, log_pub_)->tree_size(), records);

  // The same publishes again: accepted as new, at the positions the failed
  // batch would have had, and the log extends the last head consistently.
  std::vector<v1::ReceiptBody> bodies;
  for (const v1::Envelope& env : envs) {
    absl::StatusOr<v1::Receipt> r = exchange_->Publish("police", env);
    ASSERT_TRUE(r.ok()) << r.status();
    v1::ReceiptBody b;
    ASSERT_TRUE(b.ParseFromString(r->body()));
    EXPECT_FALSE(b.duplicate());
    bodies.push_back(b);
  }
  EXPECT_EQ(bodies.front().sequence(), 2u);
  EXPECT_EQ(bodies.front().audit_leaf_index(), records);
  for (const v1::ReceiptBody& b : bodies) ExpectProvedInItsHead(b);
  absl::StatusOr<v1::ConsistencyProof> proof = store_->audit().ProveConsistency(records, store_->audit().size());
  ASSERT_TRUE(proof.ok());
  absl::StatusOr<v1::TreeHead> after = audit::VerifySignedTreeHead(*store_->audit().LatestSignedHead(), log_pub_);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(audit::VerifyConsistency(*proof, audit::VerifySignedTreeHead(*latest, log_pub_)->root_hash(),
                                       after->root_hash())
                  .ok());
}

TEST_F(GroupCommitTest, ABatchIsBoundedByCountAndByBytes) {
  auto publish_five_while_held = [&](const std::string& tag) {
    std::vector<v1::Envelope> envs;
    for (int i = 0; i < 5; ++i) {
      envs.push_back(Seal(Incident(absl::StrCat("police-", tag, "-", i), "case-5"), {"summary", "risk"}));
    }
    HoldTheWriter(absl::StrCat("police-hold-", tag));
    std::vector<std::unique_ptr<Answer>> answers;
    for (const v1::Envelope& env : envs) {
      answers.push_back(std::make_unique<Answer>());
      exchange_->PublishAsync("police", env, answers.back()->callback());
    }
    Release();
    for (auto& a : answers) EXPECT_TRUE(a->Body().ok()) << a->Body().status();
    return envs.front().ByteSizeLong();
  };
  StartExchange(BatchBounds{/*max_items=*/2, /*max_bytes=*/8u << 20});
  const size_t envelope_bytes = publish_five_while_held("count");
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 2, 2, 1}));
  // Room for one envelope and a half: one per batch. (A single envelope
  // larger than the bound still goes, alone.)
  StartExchange(BatchBounds{/*max_items=*/64, /*max_bytes=*/envelope_bytes * 3 / 2});
  publish_five_while_held("bytes");
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 2, 2, 1, 1, 1, 1, 1, 1, 1}));
}

// A refusal answered on a gRPC thread (here a plan whose header does not
// parse) is written by the writer with the publishes queued around it: one
// synced write and one signed head for all, the refusal answered only once
// that is durable, and the log verifies.
class RefusalCall {
 public:
  RefusalCall(Exchange* exchange, std::string header_bytes)
      : thread_([this, exchange, header_bytes = std::move(header_bytes)] {
          plan_ = exchange->PlanShare("police", header_bytes);
          done_.Notify();
        }) {}
  ~RefusalCall() { thread_.join(); }
  bool answered() const { return done_.HasBeenNotified(); }
  absl::Status status() {
    done_.WaitForNotification();
    return plan_.status();
  }

 private:
  absl::Notification done_;
  absl::StatusOr<v1::SharePlan> plan_;
  std::thread thread_;  // last
};

std::vector<v1::WhoSawRow> Refusals(const Store& store) {
  v1::WhoSawQuery q;
  q.add_actions(v1::AUDIT_ACTION_REJECTED);
  q.set_limit(1000);
  absl::StatusOr<std::vector<v1::WhoSawRow>> rows = store.audit().Query(q);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : std::vector<v1::WhoSawRow>();
}

TEST_F(GroupCommitTest, ARefusalRecordedWhilePublishesAreInFlightSharesTheirBatchAndTheLogVerifies) {
  std::vector<v1::Envelope> envs;
  for (int i = 0; i < 3; ++i) {
    envs.push_back(Seal(Incident(absl::StrCat("police-around-", i), "case-r"), {"summary"}));
  }
  HoldTheWriter();
  std::vector<std::unique_ptr<Answer>> answers;
  for (const v1::Envelope& env : envs) {
    answers.push_back(std::make_unique<Answer>());
    exchange_->PublishAsync("police", env, answers.back()->callback());
  }
  RefusalCall refusal(exchange_.get(), "not a header");
  absl::SleepFor(absl::Milliseconds(500));  // time for it to be queued behind the publishes
  EXPECT_FALSE(refusal.answered()) << "no refusal is answered before its record is durable";
  Release();
  EXPECT_EQ(refusal.status().code(), absl::StatusCode::kInvalidArgument) << refusal.status();
  std::vector<v1::ReceiptBody> bodies;
  for (auto& a : answers) {
    absl::StatusOr<v1::ReceiptBody> b = a->Body();
    ASSERT_TRUE(b.ok()) << b.status();
    bodies.push_back(*b);
  }
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 4})) << "three publishes and the refusal: one write";

  const std::vector<v1::WhoSawRow> refusals = Refusals(*store_);
  ASSERT_EQ(refusals.size(), 1u);
  const v1::AuditRecord& r = refusals[0].record();
  EXPECT_EQ(r.actor_agency(), "police");
  EXPECT_EQ(r.refused_call(), "plan_share");
  EXPECT_EQ(r.error_code(), absl::StatusCodeToString(absl::StatusCode::kInvalidArgument));
  EXPECT_GT(refusals[0].leaf_index(), bodies.back().audit_leaf_index()) << "in queue order, after the publishes";
  absl::StatusOr<v1::TreeHead> head = audit::VerifySignedTreeHead(bodies.back().tree_head(), log_pub_);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_LT(refusals[0].leaf_index(), head->tree_size()) << "covered by the publishes' signed head";
  EXPECT_EQ(head->tree_size(), store_->audit().size());

  audit::VerifyOptions options;
  options.log_public_key = log_pub_;
  absl::StatusOr<audit::VerifyReport> report = audit::VerifyDataDirectory(tmp_.Path("data"), options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->finding->index << ": " << report->finding->problem;
  EXPECT_EQ(report->records, store_->audit().size());
}

// A refusal whose batch fails is still answered as refused, its record is not
// in the log, and the next record of that caller counts it.
TEST_F(GroupCommitTest, ARefusalInAFailedBatchIsNotRecordedButCountedWithTheNextOne) {
  std::vector<v1::Envelope> envs;
  for (int i = 0; i < 3; ++i) {
    envs.push_back(Seal(Incident(absl::StrCat("police-failing-", i), "case-f"), {"summary"}));
  }
  HoldTheWriter();
  store_->FailNextBatchInTheMiddle();
  std::vector<std::unique_ptr<Answer>> answers;
  for (const v1::Envelope& env : envs) {
    answers.push_back(std::make_unique<Answer>());
    exchange_->PublishAsync("police", env, answers.back()->callback());
  }
  {
    RefusalCall refusal(exchange_.get(), "not a header");
    absl::SleepFor(absl::Milliseconds(500));
    EXPECT_FALSE(refusal.answered());
    Release();
    EXPECT_EQ(refusal.status().code(), absl::StatusCode::kInvalidArgument) << refusal.status();
  }
  for (auto& a : answers) EXPECT_EQ(a->Body().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->batch_sizes(), (std::vector<size_t>{1, 4}));
  EXPECT_TRUE(Refusals(*store_).empty()) << "the failed batch stored no refusal record";

  EXPECT_EQ(exchange_->PlanShare("police", "not a header").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<v1::WhoSawRow> refusals = Refusals(*store_);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].record().refusals_not_recorded(), 1u) << "the lost one is counted";
}

}  // namespace
}  // namespace accord::broker
