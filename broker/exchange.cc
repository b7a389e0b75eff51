#include "broker/exchange.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "broker/batch_view.h"
#include "broker/case_book.h"
#include "broker/header_checks.h"
#include "broker/notices.h"
#include "broker/quoted.h"
#include "broker/timestamps.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"

namespace accord::broker {

struct Exchange::Checked {
  v1::Envelope envelope;
  v1::EventHeader header;
  std::string sha256;
};

struct Exchange::Pending {
  std::string caller;
  const char* call = "publish";  // or "record_consent": the refusal record's call
  std::string header_bytes;      // what the refusal record describes
  absl::StatusOr<Checked> checked = absl::UnknownError("not verified");
  size_t bytes = 0;              // counted by BatchBounds::max_bytes
  ReceiptCallback done;
  // Set instead of the above for a change that is not a publish (Submit): it
  // is built against the batch view in its place in the batch.
  std::function<absl::StatusOr<std::optional<Mutation>>(const Store& view)> build;
  std::function<void(absl::StatusOr<Assigned>)> built;
};

struct Exchange::Ordered {
  // A retry of an event already stored: its original receipt, nothing to write.
  std::optional<v1::Receipt> duplicate;
  Mutation mutation;
  std::vector<std::string> recipients;  // to wake once the batch is durable
};

namespace {

constexpr int kCaseHistoryCap = 200;

absl::Time SigningTime(const v1::EventHeader& h, absl::Time fallback) {
  if (!h.has_signed_at()) return fallback;
  return absl::FromUnixSeconds(h.signed_at().seconds());
}

// Fills the fields every record about an event carries.
v1::AuditRecord EventRecord(v1::AuditAction action, const std::string& actor,
                            const v1::EventHeader& h, const std::string& policy_hash) {
  v1::AuditRecord r;
  r.set_action(action);
  r.set_actor_agency(actor);
  if (h.sender() == actor && h.has_actor()) *r.mutable_actor() = h.actor();
  r.set_event_id(h.event_id());
  r.set_event_kind(h.kind());
  r.set_case_ref(h.case_ref());
  *r.mutable_subjects() = h.subjects();
  r.set_policy_hash(policy_hash);
  if (h.has_consent()) *r.mutable_consent() = h.consent();
  if (h.has_override()) *r.mutable_override() = h.override();
  return r;
}

// The notice for a perpetrator's pattern, seen for the first time on `h`.
v1::NoticeBody PatternNotice(const policy::PatternMatch& match, const v1::EventHeader& h,
                             const std::vector<std::pair<std::string, PerpetratorState>>& perpetrators,
                             absl::Time now) {
  v1::NoticeBody body;
  for (const auto& [ref, p] : perpetrators) {
    if (ref != match.perpetrator_ref) continue;
    for (const PerpetratorState::CaseSeen& c : p.cases()) {
      if (c.case_ref() != h.case_ref()) body.add_related_case_refs(c.case_ref());
    }
  }
  body.set_notice_id(absl::StrCat("broker:serial_pattern:", match.pattern_id, ":", match.perpetrator_ref));
  body.set_kind(v1::EVENT_KIND_SERIAL_PATTERN);
  body.set_case_ref(h.case_ref());
  for (const v1::SubjectRef& s : h.subjects()) {
    if (s.role() == v1::SUBJECT_ROLE_PERPETRATOR && s.ref() == match.perpetrator_ref) *body.add_subjects() = s;
  }
  body.set_rule_id(match.pattern_id);
  *body.mutable_raised_at() = ToProto(now);
  body.set_reason(match.reason);
  body.set_anchor_event_id(h.event_id());
  return body;
}

// The notice for a schedule step that is due.
v1::NoticeBody DueNoticeBody(const ScheduledNotice& n, absl::Time now) {
  v1::NoticeBody body;
  body.set_notice_id(
      absl::StrCat("broker:feedback_due:", n.schedule_id(), ":", n.anchor_event_id(), ":", n.step()));
  body.set_kind(v1::EVENT_KIND_FEEDBACK_DUE);
  body.set_case_ref(n.case_ref());
  *body.mutable_subjects() = n.subjects();
  body.set_rule_id(n.schedule_id());
  *body.mutable_raised_at() = ToProto(now);
  body.set_reason(absl::StrCat(n.step(), " since ", n.anchor_event_id(), ": feedback is due"));
  body.set_anchor_event_id(n.anchor_event_id());
  body.set_schedule_step(n.step());
  return body;
}

struct Withheld {
  std::string rule_id;
  std::string text;
};

Withheld WithheldWhy(const v1::Decision& d, const std::string& recipient, const std::string& section) {
  for (const v1::Withholding& w : d.withheld()) {
    if (w.recipient() == recipient && (w.section() == section || w.section().empty())) {
      return {w.rule_id(),
              absl::StrCat("rule '", w.rule_id(), "'", w.reason().empty() ? "" : absl::StrCat(": ", w.reason()))};
    }
  }
  return {"default-deny", "rule 'default-deny': no rule releases it"};
}

// Consent may be recorded only by the agencies the policy's consent_authority
// names for that purpose and subject role (docs/policy.md).
absl::Status CheckConsentAuthority(const policy::Evaluator& evaluator, const v1::EventHeader& h) {
  if (h.kind() != v1::EVENT_KIND_CONSENT_RECORDED) return absl::OkStatus();
  const policy::ConsentAuthorityDecision d = evaluator.MayRecordConsent(h);
  if (d.allowed) return absl::OkStatus();
  return NamingRule(absl::PermissionDeniedError(absl::StrCat("'", h.sender(), "' may not record consent for '",
                                                             h.consent_statement().purpose(), "': rule '",
                                                             d.rule_id, "': ", d.reason)),
                    d.rule_id);
}

}  // namespace

Exchange::Exchange(BrokerContext ctx, BatchBounds batches)
    : ctx_(std::move(ctx)),
      refusals_(this, ctx_.policy, ctx_.log, ctx_.now,
                RefusalLimits{ctx_.limits.refusal_audit_burst, ctx_.limits.refusal_audit_per_minute}),
      writer_(std::make_unique<WriterQueue<Pending>>(
          batches, [](const Pending& p) { return p.bytes; },
          [this](std::vector<std::unique_ptr<Pending>> batch) { return CommitBatch(std::move(batch)); })) {
  // Before anything is pushed: the writer thread reads it only in a batch.
  writer_thread_ = writer_->thread_id();
}

Exchange::~Exchange() { writer_.reset(); }

absl::StatusOr<v1::SharePlan> Exchange::Plan(const std::string& caller, const std::string& header_bytes) {
  if (header_bytes.size() > ctx_.limits.max_header_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("header is ", header_bytes.size(),
                                                     " bytes; the limit is ", ctx_.limits.max_header_bytes));
  }
  v1::EventHeader h;
  if (!h.ParseFromString(header_bytes)) return absl::InvalidArgumentError("header does not parse as an EventHeader");
  if (absl::Status s = CheckHeader(h, caller, ctx_.limits); !s.ok()) return s;
  std::shared_ptr<const policy::Evaluator> evaluator = ctx_.policy->Current();
  if (absl::Status s = CheckConsentAuthority(*evaluator, h); !s.ok()) return s;
  if (absl::Status s = CheckAddressing(*ctx_.store, h); !s.ok()) return s;
  if (absl::Status s = CheckRelations(*evaluator, h); !s.ok()) return s;
  absl::StatusOr<CaseView> view = LoadCaseView(*ctx_.store, h.case_ref(), PerpetratorRefs(h));
  if (!view.ok()) return view.status();
  Store* store = ctx_.store;
  const absl::Time now = ctx_.now();
  v1::Decision decision = evaluator->Evaluate(h, ContextOf(*view, now), [store](const std::string& s, const std::string& p) {
    absl::StatusOr<std::optional<v1::ConsentStatus>> c = store->GetConsent(s, p);
    return (c.ok() && c->has_value()) ? (*c)->state() : v1::CONSENT_STATE_UNSPECIFIED;
  });
  v1::SharePlan plan;
  plan.set_policy_version(evaluator->policy().version());
  for (const v1::RecipientDecision& rd : decision.recipients()) {
    v1::RecipientPlan* rp = plan.add_recipients();
    *rp->mutable_decision() = rd;
    absl::StatusOr<v1::SignedDirectoryEntry> entry =
        ctx_.directory->verified().SignedCurrent(rd.recipient(), now);
    if (entry.ok()) *rp->mutable_entry() = *entry;
  }
  *plan.mutable_withheld() = decision.withheld();
  *plan.mutable_decision() = std::move(decision);
  return plan;
}

absl::StatusOr<Exchange::Checked> Exchange::Verify(const std::string& caller,
                                                   const v1::Envelope& envelope) const {
  const Limits& lim = ctx_.limits;
  const size_t size = envelope.ByteSizeLong();
  if (size > lim.max_envelope_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("envelope is ", size, " bytes; the limit is ", lim.max_envelope_bytes));
  }
  if (envelope.header().size() > lim.max_header_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("header is ", envelope.header().size(),
                                                     " bytes; the limit is ", lim.max_header_bytes));
  }
  if (envelope.sections_size() > lim.max_sections) {
    return absl::ResourceExhaustedError(absl::StrCat("envelope has ", envelope.sections_size(),
                                                     " sections; the limit is ", lim.max_sections));
  }
  if (envelope.wraps_size() > lim.max_wraps) {
    return absl::ResourceExhaustedError(absl::StrCat("envelope has ", envelope.wraps_size(),
                                                     " key wraps; the limit is ", lim.max_wraps));
  }
  Checked c;
  if (!c.header.ParseFromString(envelope.header())) {
    return absl::InvalidArgumentError("header does not parse as an EventHeader");
  }
  const v1::EventHeader& h = c.header;
  if (absl::Status s = CheckHeader(h, caller, lim); !s.ok()) return s;
  // Names outside the signed header are bounded before any message quotes them.
  for (const v1::SealedSection& s : envelope.sections()) {
    if (s.name().empty() || s.name().size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat("sealed section name ", Quoted(s.name()), " is empty or longer than ",
                                                     kMaxNameBytes, " bytes"));
    }
  }
  for (const v1::KeyWrap& w : envelope.wraps()) {
    if (w.recipient().size() > kMaxNameBytes || w.section().size() > kMaxNameBytes || w.key_id().size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat("key wrap for ", Quoted(w.recipient()), " / ", Quoted(w.section()),
                                                     " has a name or key id longer than ", kMaxNameBytes, " bytes"));
    }
  }
  const absl::Time now = ctx_.now();
  const absl::Time signed_at = SigningTime(h, now);
  if (signed_at > now + absl::Minutes(5)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "header signed_at ", absl::FormatTime(absl::RFC3339_sec, signed_at, absl::UTCTimeZone()),
        " is in the future; check the sender's clock"));
  }
  if (signed_at < now - absl::Hours(lim.max_signing_age_hours)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "header was signed more than ", lim.max_signing_age_hours,
        " hours ago (limits.max_signing_age_hours): seal it again"));
  }
  absl::StatusOr<v1::DirectoryEntry> sender =
      ctx_.directory->verified().ForSigningKey(h.sender(), h.signing_key_id(), signed_at);
  if (!sender.ok()) {
    return absl::UnauthenticatedError(absl::StrCat("signing key ", Quoted(h.signing_key_id()), " of '", h.sender(),
                                                   "' is not trusted: ", sender.status().message()));
  }
  absl::StatusOr<v1::EventHeader> verified = crypto::VerifyEnvelope(envelope, sender->signing_public_key());
  if (!verified.ok()) return AsRefusal(verified.status());
  for (const v1::KeyWrap& w : envelope.wraps()) {
    absl::StatusOr<v1::DirectoryEntry> r = ctx_.directory->verified().Current(w.recipient(), now);
    if (!r.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("wrap for ", Quoted(w.recipient()),
                                                     " names no agency with a valid key: ", r.status().message()));
    }
    if (r->encryption_key_id() != w.key_id()) {
      return absl::InvalidArgumentError(absl::StrCat("wrap for '", w.recipient(), "' uses key ", Quoted(w.key_id()),
                                                     ", not its current key ", r->encryption_key_id()));
    }
  }
  c.envelope = envelope;
  c.sha256 = crypto::Sha256(envelope.SerializeAsString());
  return c;
}

absl::Status Exchange::CheckAddressing(const Store& store, const v1::EventHeader& h) const {
  if (h.has_destination() && !ctx_.directory->Knows(h.destination().agency())) {
    return absl::InvalidArgumentError(absl::StrCat("destination ", Quoted(h.destination().agency()),
                                                   " is not an agency of this partnership"));
  }
  const v1::EventKind kind = h.kind();
  const bool answers_referral = kind == v1::EVENT_KIND_REFERRAL_ACCEPTED || kind == v1::EVENT_KIND_REFERRAL_DECLINED ||
                                kind == v1::EVENT_KIND_REFERRAL_CLOSED;
  const bool answers_request = kind == v1::EVENT_KIND_INFORMATION_RESPONSE;
  if (h.in_reply_to().empty()) {
    if (answers_referral || answers_request) {
      return absl::InvalidArgumentError(absl::StrCat("a ", v1::EventKind_Name(kind),
                                                     " needs in_reply_to: the event it answers"));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<StoredEvent>> original = store.FindEvent(h.in_reply_to());
  if (!original.ok()) return original.status();
  if (!original->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("in_reply_to ", Quoted(h.in_reply_to()),
                                                      " names no event the broker holds"));
  }
  v1::EventHeader asked;
  asked.ParseFromString((*original)->envelope().header());
  const bool to_sender = asked.destination().agency() == h.sender();
  if (answers_referral) {
    if (asked.kind() != v1::EVENT_KIND_REFERRAL && asked.kind() != v1::EVENT_KIND_MARAC_REFERRAL) {
      return absl::FailedPreconditionError(
          absl::StrCat(Quoted(h.in_reply_to()), " is not a referral; a ", v1::EventKind_Name(kind), " answers one"));
    }
    const bool may = to_sender || (kind == v1::EVENT_KIND_REFERRAL_CLOSED && asked.sender() == h.sender());
    if (!may) {
      return absl::FailedPreconditionError(absl::StrCat(
          "referral ", Quoted(h.in_reply_to()), " was addressed to ",
          asked.destination().agency().empty() ? std::string("no agency") : Quoted(asked.destination().agency()),
          ", not to '", h.sender(), "': only its destination may accept or decline it"));
    }
  } else if (answers_request) {
    if (asked.kind() != v1::EVENT_KIND_INFORMATION_REQUEST || !to_sender) {
      return absl::FailedPreconditionError(absl::StrCat(Quoted(h.in_reply_to()), " is not a request addressed to '",
                                                        h.sender(), "'"));
    }
  }
  return absl::OkStatus();
}

v1::Receipt Exchange::SignReceipt(const v1::ReceiptBody& body) const {
  v1::Receipt receipt;
  receipt.set_body(body.SerializeAsString());
  receipt.set_signature(ctx_.log_key->Sign(crypto::kReceiptType, receipt.body()));
  return receipt;
}

absl::Status Exchange::Refused(const std::string& caller, const char* call, const std::string& header_bytes,
                               absl::Status status) {
  if (!RefusalLog::IsRefusal(status)) return status;
  ctx_.log->Warn(absl::StrCat(call, " refused"), {{"agency", caller},
                                                  {"code", absl::StatusCodeToString(status.code())},
                                                  {"reason", std::string(status.message())}});
  Refusal r;
  r.call = call;
  v1::EventHeader h;
  if (!header_bytes.empty() && header_bytes.size() <= ctx_.limits.max_header_bytes) {
    r.header_sha256 = crypto::Sha256(header_bytes);
    if (h.ParseFromString(header_bytes)) r.header = &h;
  }
  return refusals_.Refused(caller, r, std::move(status));
}

absl::StatusOr<v1::SharePlan> Exchange::PlanShare(const std::string& caller, const std::string& header_bytes) {
  absl::StatusOr<v1::SharePlan> plan = Plan(caller, header_bytes);
  if (!plan.ok()) return Refused(caller, "plan_share", header_bytes, plan.status());
  return plan;
}

void Exchange::PublishAsync(const std::string& caller, const v1::Envelope& envelope, ReceiptCallback done) {
  VerifyAndQueue(caller, envelope, /*consent_call=*/false, std::move(done));
}

void Exchange::RecordConsentAsync(const std::string& caller, const v1::Envelope& envelope,
                                  ReceiptCallback done) {
  VerifyAndQueue(caller, envelope, /*consent_call=*/true, std::move(done));
}

namespace {

// Runs an asynchronous call and waits for its answer (the blocking forms of
// PublishAsync, AckAsync, TakeDeliveriesAsync).
template <typename T>
absl::StatusOr<T> Await(const std::function<void(std::function<void(absl::StatusOr<T>)>)>& start) {
  absl::Notification done;
  absl::StatusOr<T> out;
  start([&](absl::StatusOr<T> r) {
    out = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return out;
}

}  // namespace

absl::StatusOr<v1::Receipt> Exchange::Publish(const std::string& caller, const v1::Envelope& envelope) {
  return Await<v1::Receipt>([&](ReceiptCallback done) { PublishAsync(caller, envelope, std::move(done)); });
}

absl::StatusOr<v1::Receipt> Exchange::RecordConsent(const std::string& caller, const v1::Envelope& envelope) {
  return Await<v1::Receipt>([&](ReceiptCallback done) { RecordConsentAsync(caller, envelope, std::move(done)); });
}

absl::StatusOr<v1::ConsentStatus> Exchange::GetConsent(const std::string& caller,
                                                       const v1::GetConsentRequest& request) {
  absl::StatusOr<v1::ConsentStatus> status = ReadConsent(caller, request);
  if (!status.ok() && RefusalLog::IsRefusal(status.status())) {
    Refusal r;
    r.call = "get_consent";
    if (ValidPseudonym(request.subject_ref())) r.subject_ref = request.subject_ref();
    return refusals_.Refused(caller, r, status.status());
  }
  return status;
}

void Exchange::AckAsync(const std::string& caller, uint64_t through, AckCallback done) {
  auto resp = std::make_shared<v1::AckResponse>();
  Submit([this, caller, through, resp](const Store& view) { return Acknowledge(view, caller, through, resp.get()); },
         [this, caller, through, resp, done = std::move(done)](absl::StatusOr<Assigned> a) {
           if (a.ok()) {
             done(*resp);
             return;
           }
           absl::Status s = a.status();
           if (RefusalLog::IsRefusal(s)) {
             Refusal r;
             r.call = "ack";
             r.queue_sequence = through;
             s = refusals_.Refused(caller, r, s);
           }
           done(s);
         });
}

absl::StatusOr<v1::AckResponse> Exchange::Ack(const std::string& caller, uint64_t through) {
  return Await<v1::AckResponse>([&](AckCallback done) { AckAsync(caller, through, std::move(done)); });
}

absl::StatusOr<Assigned> Exchange::WriteOrdered(Mutation m, absl::Time now) {
  if (std::this_thread::get_id() == writer_thread_) return ctx_.store->Apply(std::move(m), now);
  auto change = std::make_shared<Mutation>(std::move(m));
  return Await<Assigned>([&](std::function<void(absl::StatusOr<Assigned>)> done) {
    Submit([change](const Store&) -> absl::StatusOr<std::optional<Mutation>> { return std::move(*change); },
           std::move(done));
  });
}

void Exchange::Submit(std::function<absl::StatusOr<std::optional<Mutation>>(const Store& view)> build,
                      std::function<void(absl::StatusOr<Assigned>)> built) {
  auto p = std::make_unique<Pending>();
  p->build = std::move(build);
  p->built = std::move(built);
  writer_->Push(std::move(p));
}

void Exchange::VerifyAndQueue(const std::string& caller, const v1::Envelope& envelope, bool consent_call,
                              ReceiptCallback done) {
  auto p = std::make_unique<Pending>();
  p->caller = caller;
  p->call = consent_call ? "record_consent" : "publish";
  p->header_bytes = envelope.header();
  p->checked = Verify(caller, envelope);
  if (p->checked.ok() && consent_call && p->checked->header.kind() != v1::EVENT_KIND_CONSENT_RECORDED) {
    p->checked = absl::InvalidArgumentError("RecordConsent takes a CONSENT_RECORDED event; use Publish for others");
  }
  // A refused publish goes through the queue too: its refusal record is then
  // written by the writer thread, never by the caller's.
  p->bytes = p->checked.ok() ? p->checked->envelope.ByteSizeLong() : 0;
  p->done = std::move(done);
  writer_->Push(std::move(p));
}

std::vector<std::unique_ptr<Exchange::Pending>> Exchange::CommitBatch(std::vector<std::unique_ptr<Pending>> batch) {
  struct Slot {
    absl::StatusOr<v1::Receipt> result = absl::InternalError("publish not ordered");
    absl::StatusOr<Assigned> assigned = absl::InternalError("change not ordered");  // of a Submit
    bool in_batch = false;             // its mutation is part of the write
    v1::Receipt receipt;               // filled by its finalize
    std::vector<std::string> recipients;
    uint64_t sequence = 0;
    uint64_t audit_leaf = 0;
  };
  std::vector<Slot> slots(batch.size());
  std::vector<std::unique_ptr<Pending>> again;
  {
    absl::MutexLock lock(&publish_mu_);
    BatchView view(ctx_.store);
    std::vector<Mutation> mutations;
    std::vector<size_t> owners;  // the slot of each mutation
    for (size_t i = 0; i < batch.size(); ++i) {
      Pending& p = *batch[i];
      if (p.build) {
        absl::StatusOr<std::optional<Mutation>> m = p.build(view);
        if (!m.ok()) {
          slots[i].assigned = m.status();
        } else if (!m->has_value()) {
          slots[i].assigned = Assigned();  // nothing to write
        } else {
          view.Add(**m);
          slots[i].in_batch = true;
          mutations.push_back(**std::move(m));
          owners.push_back(i);
        }
        continue;
      }
      if (!p.checked.ok()) {
        slots[i].result = p.checked.status();
        continue;
      }
      const v1::EventHeader& h = p.checked->header;
      if (view.Holds(h.event_id()) || (!h.in_reply_to().empty() && view.Holds(h.in_reply_to()))) {
        again.push_back(std::move(batch[i]));
        continue;
      }
      absl::StatusOr<Ordered> o = Order(p.caller, *p.checked, view, &slots[i].receipt);
      if (!o.ok()) {
        slots[i].result = o.status();
      } else if (o->duplicate.has_value()) {
        slots[i].result = *std::move(o->duplicate);
      } else {
        view.Add(o->mutation);
        slots[i].in_batch = true;
        slots[i].recipients = std::move(o->recipients);
        mutations.push_back(std::move(o->mutation));
        owners.push_back(i);
      }
    }
    if (!mutations.empty()) {
      absl::StatusOr<std::vector<Assigned>> assigned = ctx_.store->ApplyBatch(std::move(mutations), ctx_.now());
      for (size_t k = 0; k < owners.size(); ++k) {
        Slot& slot = slots[owners[k]];
        if (batch[owners[k]]->build) {
          slot.assigned = assigned.ok() ? absl::StatusOr<Assigned>((*assigned)[k]) : assigned.status();
          continue;
        }
        if (!assigned.ok()) {
          slot.result = assigned.status();
          continue;
        }
        slot.result = slot.receipt;
        slot.sequence = (*assigned)[k].event_sequence;
        slot.audit_leaf = (*assigned)[k].first_audit_index;
      }
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] == nullptr) continue;  // waits for the next batch
    Pending& p = *batch[i];
    Slot& slot = slots[i];
    if (p.build) {
      p.built(std::move(slot.assigned));
      continue;
    }
    const std::string event_id = p.checked.ok() ? p.checked->header.event_id() : std::string();
    if (slot.in_batch && !slot.result.ok()) {
      ctx_.log->Error("publish not stored", {{"event", event_id}, {"error", slot.result.status().ToString()}});
    } else if (slot.in_batch) {
      ctx_.log->Info("event accepted", {{"agency", p.caller},
                                         {"event", event_id},
                                         {"kind", v1::EventKind_Name(p.checked->header.kind())},
                                         {"sequence", absl::StrCat(slot.sequence)},
                                         {"recipients", absl::StrJoin(slot.recipients, ",")},
                                         {"audit_leaf", absl::StrCat(slot.audit_leaf)}});
      for (const std::string& r : slot.recipients) ctx_.notifier->Notify(r);
    }
    if (!slot.result.ok()) slot.result = Refused(p.caller, p.call, p.header_bytes, slot.result.status());
    p.done(std::move(slot.result));
  }
  return again;
}

absl::StatusOr<Exchange::Ordered> Exchange::Order(const std::string& caller, const Checked& c, const Store& view,
                                                  v1::Receipt* receipt) {
  const v1::EventHeader& h = c.header;
  Ordered out;
  // Idempotency first: a retry of an accepted event must get its receipt even
  // if the policy changed since.
  absl::StatusOr<std::optional<StoredEvent>> existing = view.FindEvent(h.event_id());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    const StoredEvent& old = **existing;
    if (old.envelope_sha256() != c.sha256) {
      return absl::AlreadyExistsError(absl::StrCat("event id '", h.event_id(),
                                                   "' was already published with different content"));
    }
    v1::ReceiptBody body;
    body.ParseFromString(old.receipt().body());
    body.set_duplicate(true);
    out.duplicate = SignReceipt(body);
    return out;
  }
  std::shared_ptr<const policy::Evaluator> evaluator = ctx_.policy->Current();
  const std::string& policy_hash = evaluator->policy().version();
  if (absl::Status s = CheckConsentAuthority(*evaluator, h); !s.ok()) return s;
  if (absl::Status s = CheckAddressing(view, h); !s.ok()) return s;
  if (h.policy_version() != policy_hash) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the policy changed since the plan (sealed for '", h.policy_version().substr(0, 16),
        "', active '", policy_hash.substr(0, 16), "'): plan and seal again"));
  }
  if (absl::Status s = CheckRelations(*evaluator, h); !s.ok()) return s;
  absl::StatusOr<CaseView> case_view = LoadCaseView(view, h.case_ref(), PerpetratorRefs(h));
  if (!case_view.ok()) return case_view.status();
  const absl::Time now = ctx_.now();
  const v1::Decision decision =
      evaluator->Evaluate(h, ContextOf(*case_view, now), [&view](const std::string& s, const std::string& p) {
        absl::StatusOr<std::optional<v1::ConsentStatus>> cs = view.GetConsent(s, p);
        return (cs.ok() && cs->has_value()) ? (*cs)->state() : v1::CONSENT_STATE_UNSPECIFIED;
      });
  std::map<std::string, const v1::RecipientDecision*> by_recipient;
  for (const v1::RecipientDecision& rd : decision.recipients()) by_recipient[rd.recipient()] = &rd;
  std::map<std::string, std::set<std::string>> wrapped;
  for (const v1::KeyWrap& w : c.envelope.wraps()) {
    auto it = by_recipient.find(w.recipient());
    const bool granted =
        it != by_recipient.end() &&
        std::any_of(it->second->grants().begin(), it->second->grants().end(),
                    [&](const v1::SectionGrant& g) { return g.section() == w.section(); });
    if (!granted) {
      const Withheld why = WithheldWhy(decision, w.recipient(), w.section());
      return NamingRule(absl::PermissionDeniedError(absl::StrCat("section '", w.section(), "' may not be sent to '",
                                                                 w.recipient(), "': ", why.text)),
                        why.rule_id);
    }
    wrapped[w.recipient()].insert(w.section());
  }

  Mutation& m = out.mutation;
  std::vector<v1::AuditRecord> records;
  {
    v1::AuditRecord r = EventRecord(v1::AUDIT_ACTION_EVENT_RECEIVED, caller, h, policy_hash);
    for (const v1::SectionRef& s : h.sections()) r.add_sections(s.name());
    r.set_envelope_sha256(c.sha256);
    if (h.has_consent_statement()) *r.mutable_consent_statement() = h.consent_statement();
    records.push_back(std::move(r));
  }
  std::set<std::string> enqueued;
  // Everything withheld from anyone goes in one WITHHELD record, after the
  // routing records: the policy's withholdings, then recipients the policy
  // permitted but the sender sealed nothing for.
  google::protobuf::RepeatedPtrField<v1::Withholding> withheld = decision.withheld();
  for (const v1::RecipientDecision& rd : decision.recipients()) {
    QueueEntry q;
    q.set_event_id(h.event_id());
    q.set_case_ref(h.case_ref());
    q.set_via_override(rd.via_override());
    *q.mutable_accepted_at() = ToProto(now);
    v1::AuditRecord r = EventRecord(v1::AUDIT_ACTION_ROUTED, caller, h, policy_hash);
    r.set_recipient(rd.recipient());
    if (rd.notification_only()) {
      q.set_notification_only(true);
      r.set_action(v1::AUDIT_ACTION_NOTIFIED);
      for (const std::string& id : rd.notify_rule_ids()) r.add_rule_ids(id);
    } else {
      const std::set<std::string>& sections = wrapped[rd.recipient()];
      for (const v1::SectionGrant& g : rd.grants()) {
        if (sections.count(g.section()) == 0) continue;
        *q.add_grants() = g;
        r.add_sections(g.section());
        r.add_rule_ids(g.rule_id());
        r.add_bases(g.basis());
      }
      if (q.grants_size() == 0) {
        v1::Withholding* w = withheld.Add();
        w->set_recipient(rd.recipient());
        w->set_reason("permitted, but the sender sealed no section for this recipient");
        continue;
      }
    }
    records.push_back(std::move(r));
    m.enqueue.push_back(Enqueue{rd.recipient(), std::move(q)});
    enqueued.insert(rd.recipient());
  }
  if (decision.override_used()) {
    v1::AuditRecord r = EventRecord(v1::AUDIT_ACTION_OVERRIDE_USED, caller, h, policy_hash);
    r.add_rule_ids(decision.override_rule_id());
    records.push_back(std::move(r));
    // Every override reaches the auditors, at least as a notification.
    for (const std::string& auditor : ctx_.directory->Auditors()) {
      if (enqueued.count(auditor) > 0 || auditor == caller) continue;
      QueueEntry q;
      q.set_event_id(h.event_id());
      q.set_case_ref(h.case_ref());
      q.set_notification_only(true);
      q.set_via_override(true);
      *q.mutable_accepted_at() = ToProto(now);
      v1::AuditRecord n = EventRecord(v1::AUDIT_ACTION_NOTIFIED, caller, h, policy_hash);
      n.set_recipient(auditor);
      n.add_rule_ids(decision.override_rule_id());
      n.set_reason("safeguarding override: auditors are always told");
      records.push_back(std::move(n));
      m.enqueue.push_back(Enqueue{auditor, std::move(q)});
    }
  }
  if (!withheld.empty()) {
    v1::AuditRecord r = EventRecord(v1::AUDIT_ACTION_WITHHELD, caller, h, policy_hash);
    *r.mutable_withheld() = std::move(withheld);
    records.push_back(std::move(r));
  }
  if (h.kind() == v1::EVENT_KIND_CONSENT_RECORDED) {
    const v1::ConsentStatement& cs = h.consent_statement();
    v1::AuditRecord r = EventRecord(v1::AUDIT_ACTION_CONSENT_RECORDED, caller, h, policy_hash);
    *r.mutable_consent_statement() = cs;
    records.push_back(std::move(r));
    v1::ConsentStatus status;
    status.set_subject_ref(cs.subject_ref());
    status.set_purpose(cs.purpose());
    status.set_state(cs.state());
    status.set_event_id(h.event_id());
    status.set_recorded_by(caller);
    *status.mutable_recorded_at() = ToProto(now);
    m.consents.push_back(std::move(status));
  }
  for (v1::AuditRecord& r : records) *r.mutable_time() = ToProto(now);
  m.audit = std::move(records);
  // What the broker knows of the case and its perpetrators changes with the
  // event, in the same batch; a pattern seen for the first time is told now.
  const absl::Time occurred = h.has_occurred_at() ? std::min(now, FromProto(h.occurred_at())) : now;
  CaseChanges changes = Advance(*std::move(case_view), h, *evaluator, now, occurred);
  if (!h.case_ref().empty()) m.cases.emplace_back(h.case_ref(), std::move(changes.case_state));
  for (const policy::PatternMatch& match : changes.new_patterns) {
    v1::NoticeBody body = PatternNotice(match, h, changes.perpetrators, now);
    std::vector<std::string> recipients;
    for (const std::string& r : match.recipients) {
      if (r != caller && ctx_.directory->Knows(r)) recipients.push_back(r);
    }
    EnqueueNotice(SignNotice(*ctx_.log_key, body), body, recipients, policy_hash, now, &m);
  }
  m.perpetrators = std::move(changes.perpetrators);
  m.schedule = std::move(changes.schedule);

  StoredEvent event;
  *event.mutable_envelope() = c.envelope;
  event.set_envelope_sha256(c.sha256);
  *event.mutable_decision() = decision;
  *event.mutable_accepted_at() = ToProto(now);
  m.event = std::move(event);
  // Runs in ApplyBatch once positions are assigned: the receipt names this
  // event's own sequence and first leaf, and the head of the whole batch.
  m.finalize = [this, receipt, event_id = h.event_id(), sha256 = c.sha256, now](const Assigned& a,
                                                                                StoredEvent* e) {
    v1::ReceiptBody body;
    body.set_event_id(event_id);
    body.set_sequence(a.event_sequence);
    body.set_audit_leaf_index(a.first_audit_index);
    *body.mutable_tree_head() = a.head;
    body.set_envelope_sha256(sha256);
    *body.mutable_accepted_at() = ToProto(now);
    *receipt = SignReceipt(body);
    *e->mutable_receipt() = *receipt;
    return absl::OkStatus();
  };
  for (const Enqueue& e : m.enqueue) out.recipients.push_back(e.agency);
  return out;
}

absl::StatusOr<v1::ConsentStatus> Exchange::ReadConsent(const std::string& caller,
                                                        const v1::GetConsentRequest& request) {
  if (!ValidPseudonym(request.subject_ref()) || request.purpose().empty() ||
      request.purpose().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError("GetConsent needs a 64-hex-digit subject_ref and a purpose of at most 64 bytes");
  }
  const policy::ConsentAuthorityDecision may = ctx_.policy->Current()->MayReadConsent(caller, request.purpose());
  if (!may.allowed) {
    return NamingRule(absl::PermissionDeniedError(absl::StrCat("'", caller, "' may not read consent for '",
                                                               request.purpose(), "': rule '", may.rule_id,
                                                               "': ", may.reason)),
                      may.rule_id);
  }
  absl::StatusOr<std::optional<v1::ConsentStatus>> c =
      ctx_.store->GetConsent(request.subject_ref(), request.purpose());
  if (!c.ok()) return c.status();
  if (!c->has_value()) {
    v1::ConsentStatus none;
    none.set_subject_ref(request.subject_ref());
    none.set_purpose(request.purpose());
    return none;  // CONSENT_STATE_UNSPECIFIED: nothing recorded, which is not consent
  }
  return **c;
}

absl::StatusOr<std::shared_ptr<const StoredEvent>> Exchange::DeliveredEvent(const Store& store,
                                                                            const std::string& event_id) const {
  if (std::shared_ptr<const StoredEvent> kept = delivered_events_.Find(event_id)) return kept;
  absl::StatusOr<std::optional<StoredEvent>> e = store.FindEvent(event_id);
  if (!e.ok()) return e.status();
  if (!e->has_value()) return std::shared_ptr<const StoredEvent>();
  auto event = std::make_shared<const StoredEvent>(**std::move(e));
  delivered_events_.Keep(event_id, event);
  return event;
}

absl::StatusOr<v1::Delivery> Exchange::BuildDelivery(const std::string& caller, const QueueItem& item) const {
  if (item.entry.has_notice()) {
    v1::Delivery d;
    d.set_queue_sequence(item.sequence);
    d.set_notification_only(true);
    *d.mutable_notice() = item.entry.notice();
    return d;
  }
  absl::StatusOr<std::shared_ptr<const StoredEvent>> event = DeliveredEvent(*ctx_.store, item.entry.event_id());
  if (!event.ok()) return event.status();
  if (*event == nullptr) {
    return absl::DataLossError(absl::StrCat("queue of ", caller, " names missing event ", item.entry.event_id()));
  }
  const v1::Envelope& full = (*event)->envelope();
  v1::Delivery d;
  d.set_queue_sequence(item.sequence);
  d.set_notification_only(item.entry.notification_only());
  *d.mutable_grants() = item.entry.grants();
  v1::Envelope* out = d.mutable_envelope();
  out->set_header(full.header());
  out->set_signature(full.signature());
  // Every sealed section stays (the header's digests cover them all), but only
  // the caller's own wraps travel: nobody learns who else received what.
  if (!item.entry.notification_only()) {
    *out->mutable_sections() = full.sections();
    std::set<std::string> granted;
    for (const v1::SectionGrant& g : item.entry.grants()) granted.insert(g.section());
    for (const v1::KeyWrap& w : full.wraps()) {
      if (w.recipient() == caller && granted.count(w.section()) > 0) *out->add_wraps() = w;
    }
  }
  return d;
}

void Exchange::TakeDeliveriesAsync(const std::string& caller, uint64_t after, size_t limit,
                                   DeliveriesCallback done) {
  absl::StatusOr<std::vector<QueueItem>> items = ctx_.store->ReadQueue(caller, after, limit);
  if (!items.ok()) return done(items.status());
  auto out = std::make_shared<std::vector<v1::Delivery>>();
  for (const QueueItem& item : *items) {
    absl::StatusOr<v1::Delivery> d = BuildDelivery(caller, item);
    if (!d.ok()) return done(d.status());
    out->push_back(*std::move(d));
  }
  // A position's first delivery is audited; later ones (another stream of the
  // same agency, a reconnect before the ack) add nothing to who saw what, so
  // idle or duplicate streams cannot make every publish write more records.
  // DeliveredThrough only grows: positions at or below it need no record.
  const uint64_t audited = ctx_.store->DeliveredThrough(caller);
  if (out->empty() || items->back().sequence <= audited) return done(*std::move(out));
  // The records are made here, off the writer thread; the writer keeps those
  // of positions not audited before (by this batch's view).
  auto records = std::make_shared<std::vector<std::pair<uint64_t, v1::AuditRecord>>>();
  const absl::Time now = ctx_.now();
  const std::string policy_hash = ctx_.policy->Version();
  for (size_t i = 0; i < items->size(); ++i) {
    const QueueItem& item = (*items)[i];
    if (item.sequence <= audited) continue;
    v1::AuditRecord r = EventRecord(v1::AUDIT_ACTION_DELIVERED, caller, HeaderOf((*out)[i]), policy_hash);
    r.clear_actor();
    r.set_recipient(caller);
    r.set_queue_sequence(item.sequence);
    for (const v1::SectionGrant& g : item.entry.grants()) {
      r.add_sections(g.section());
      r.add_rule_ids(g.rule_id());
      r.add_bases(g.basis());
    }
    if (item.entry.notification_only()) r.set_reason("notification only");
    *r.mutable_time() = ToProto(now);
    records->emplace_back(item.sequence, std::move(r));
  }
  Submit(
      [caller, records](const Store& view) -> absl::StatusOr<std::optional<Mutation>> {
        const uint64_t audited_through = view.DeliveredThrough(caller);
        Mutation m;
        for (auto& [sequence, r] : *records) {
          if (sequence > audited_through) m.audit.push_back(std::move(r));
        }
        if (m.audit.empty()) return std::nullopt;
        m.delivered.emplace_back(caller, records->back().first);
        return m;
      },
      // Audited before anything is sent: no delivery exists without its record.
      [out, done = std::move(done)](absl::StatusOr<Assigned> a) {
        if (!a.ok()) return done(a.status());
        done(std::move(*out));
      });
}

absl::StatusOr<std::vector<v1::Delivery>> Exchange::TakeDeliveries(const std::string& caller,
                                                                   uint64_t after, size_t limit) {
  return Await<std::vector<v1::Delivery>>(
      [&](DeliveriesCallback done) { TakeDeliveriesAsync(caller, after, limit, std::move(done)); });
}

absl::StatusOr<std::optional<Mutation>> Exchange::Acknowledge(const Store& view, const std::string& caller,
                                                              uint64_t through, v1::AckResponse* resp) const {
  // The committed head: a position not yet durable cannot have been delivered.
  const uint64_t head = view.QueueHead(caller);
  const uint64_t acked = view.AckedThrough(caller);
  if (through > head) {
    return absl::OutOfRangeError(absl::StrCat("cannot acknowledge through ", through, ": the queue of '",
                                              caller, "' ends at ", head));
  }
  if (through <= acked) {
    resp->set_acknowledged_through(acked);
    return std::nullopt;
  }
  Mutation m;
  m.acks.emplace_back(caller, through);
  v1::AuditRecord r;
  r.set_action(v1::AUDIT_ACTION_ACKNOWLEDGED);
  r.set_actor_agency(caller);
  r.set_recipient(caller);
  r.set_queue_sequence(through);
  r.set_policy_hash(ctx_.policy->Version());
  const absl::Time now = ctx_.now();
  *r.mutable_time() = ToProto(now);
  // One record per acknowledged event, so who-saw by event finds the ack.
  absl::StatusOr<std::vector<QueueItem>> items = view.ReadQueue(caller, acked, through - acked);
  if (!items.ok()) return items.status();
  for (const QueueItem& item : *items) {
    v1::AuditRecord per = r;
    per.set_event_id(item.entry.event_id());
    per.set_case_ref(item.entry.case_ref());
    per.set_queue_sequence(item.sequence);
    if (item.entry.has_notice()) {
      v1::Delivery notice;
      *notice.mutable_notice() = item.entry.notice();
      const v1::EventHeader h = HeaderOf(notice);
      per.set_event_id(h.event_id());
      per.set_event_kind(h.kind());
      *per.mutable_subjects() = h.subjects();
      m.audit.push_back(std::move(per));
      continue;
    }
    // An acknowledged event was delivered, so mostly still kept from then.
    absl::StatusOr<std::shared_ptr<const StoredEvent>> e = DeliveredEvent(view, item.entry.event_id());
    if (e.ok() && *e != nullptr) {
      v1::EventHeader h;
      h.ParseFromString((*e)->envelope().header());
      per.set_event_kind(h.kind());
      *per.mutable_subjects() = h.subjects();
    }
    for (const v1::SectionGrant& g : item.entry.grants()) per.add_sections(g.section());
    m.audit.push_back(std::move(per));
  }
  resp->set_acknowledged_through(through);
  return m;
}

uint64_t Exchange::AckedThrough(const std::string& caller) const { return ctx_.store->AckedThrough(caller); }

absl::StatusOr<v1::ReloadPolicyResponse> Exchange::ReloadPolicy(const std::string& who) {
  const std::string before = ctx_.policy->Version();
  absl::StatusOr<std::string> version = ctx_.policy->Reload();
  if (!version.ok()) {
    ctx_.log->Error("policy reload rejected; previous policy stays active",
                    {{"by", who}, {"error", std::string(version.status().message())}});
    return version.status();
  }
  v1::AuditRecord r;
  r.set_action(v1::AUDIT_ACTION_POLICY_LOADED);
  r.set_actor_agency(who);
  r.set_policy_hash(*version);
  r.set_reason(absl::StrCat("reload; previous policy ", before));
  const absl::Time now = ctx_.now();
  *r.mutable_time() = ToProto(now);
  Mutation m;
  m.audit.push_back(std::move(r));
  absl::StatusOr<Assigned> a = ctx_.store->Apply(std::move(m), now);
  if (!a.ok()) return a.status();
  ctx_.log->Info("policy reloaded", {{"by", who}, {"policy", *version}, {"previous", before}});
  v1::ReloadPolicyResponse resp;
  resp.set_policy_version(*version);
  resp.set_audit_leaf_index(a->first_audit_index);
  return resp;
}

absl::Status Exchange::RecordPolicyLoaded(const std::string& who) {
  const std::string version = ctx_.policy->Version();
  // Skip when the newest POLICY_LOADED record already names this hash.
  v1::WhoSawQuery q;
  q.add_actions(v1::AUDIT_ACTION_POLICY_LOADED);
  q.set_limit(100000);
  absl::StatusOr<std::vector<v1::WhoSawRow>> rows = ctx_.store->audit().Query(q);
  if (rows.ok() && !rows->empty() && rows->back().record().policy_hash() == version) return absl::OkStatus();
  v1::AuditRecord r;
  r.set_action(v1::AUDIT_ACTION_POLICY_LOADED);
  r.set_actor_agency(who);
  r.set_policy_hash(version);
  r.set_reason("start-up");
  const absl::Time now = ctx_.now();
  *r.mutable_time() = ToProto(now);
  Mutation m;
  m.audit.push_back(std::move(r));
  absl::StatusOr<Assigned> a = ctx_.store->Apply(std::move(m), now);
  return a.ok() ? absl::OkStatus() : a.status();
}

absl::StatusOr<int> Exchange::RaiseDueNotices(absl::Time now, size_t limit) {
  // Ordered with the publishes (Submit): the case each notice is about is read
  // as the batch before it leaves it.
  std::set<std::string> recipients;
  size_t count = 0;
  absl::Notification finished;
  absl::Status status;
  Submit(
      [&](const Store& view) -> absl::StatusOr<std::optional<Mutation>> {
        absl::StatusOr<std::vector<DueNotice>> due = view.DueNotices(now, limit);
        if (!due.ok()) return due.status();
        count = due->size();
        if (due->empty()) return std::nullopt;
        std::shared_ptr<const policy::Evaluator> evaluator = ctx_.policy->Current();
        const std::string& policy_hash = evaluator->policy().version();
        Mutation m;
        for (const DueNotice& d : *due) {
          m.unschedule.push_back(d.key);
          std::vector<std::string> perpetrators;
          for (const v1::SubjectRef& s : d.notice.subjects()) {
            if (s.role() == v1::SUBJECT_ROLE_PERPETRATOR) perpetrators.push_back(s.ref());
          }
          absl::StatusOr<CaseView> case_view = LoadCaseView(view, d.notice.case_ref(), perpetrators);
          if (!case_view.ok()) return case_view.status();
          // Whom to tell is decided now, by the policy in force and the
          // relations the case has now: a programme that has ended its work is
          // not told.
          std::vector<std::string> to;
          for (const std::string& r :
               evaluator->NoticeRecipients(d.notice.schedule_id(), ContextOf(*case_view, now))) {
            if (ctx_.directory->Knows(r)) to.push_back(r);
          }
          const v1::NoticeBody body = DueNoticeBody(d.notice, now);
          if (to.empty()) {
            v1::AuditRecord r = NoticeRecord(v1::AUDIT_ACTION_WITHHELD, body, policy_hash, now);
            r.set_reason("a schedule step fell due, but the policy names no one to tell for this case now");
            m.audit.push_back(std::move(r));
            continue;
          }
          EnqueueNotice(SignNotice(*ctx_.log_key, body), body, to, policy_hash, now, &m);
          recipients.insert(to.begin(), to.end());
        }
        return m;
      },
      [&](absl::StatusOr<Assigned> a) {
        status = a.status();
        finished.Notify();
      });
  finished.WaitForNotification();
  if (!status.ok()) return status;
  if (count == 0) return 0;
  ctx_.log->Info("schedule steps due", {{"count", absl::StrCat(count)},
                                        {"recipients", absl::StrJoin(recipients, ",")}});
  for (const std::string& r : recipients) ctx_.notifier->Notify(r);
  return static_cast<int>(count);
}

}  // namespace accord::broker
