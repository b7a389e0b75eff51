#include "broker/notices.h"

#include "broker/timestamps.h"

namespace accord::broker {

v1::BrokerNotice SignNotice(const crypto::SigningKey& log_key, const v1::NoticeBody& body) {
  v1::BrokerNotice notice;
  notice.set_body(body.SerializeAsString());
  notice.set_signature(log_key.Sign(crypto::kBrokerNoticeType, notice.body()));
  return notice;
}

v1::EventHeader HeaderOf(const v1::Delivery& delivery) {
  v1::EventHeader h;
  if (!delivery.has_notice()) {
    h.ParseFromString(delivery.envelope().header());
    return h;
  }
  v1::NoticeBody body;
  body.ParseFromString(delivery.notice().body());
  h.set_event_id(body.notice_id());
  h.set_kind(body.kind());
  h.set_case_ref(body.case_ref());
  *h.mutable_subjects() = body.subjects();
  return h;
}

v1::AuditRecord NoticeRecord(v1::AuditAction action, const v1::NoticeBody& body, const std::string& policy_hash,
                             absl::Time now) {
  v1::AuditRecord r;
  r.set_action(action);
  r.set_actor_agency("broker");
  r.set_event_id(body.notice_id());
  r.set_event_kind(body.kind());
  r.set_case_ref(body.case_ref());
  *r.mutable_subjects() = body.subjects();
  r.add_rule_ids(body.rule_id());
  r.set_reason(body.reason());
  r.set_policy_hash(policy_hash);
  *r.mutable_time() = ToProto(now);
  return r;
}

void EnqueueNotice(const v1::BrokerNotice& notice, const v1::NoticeBody& body,
                   const std::vector<std::string>& recipients, const std::string& policy_hash, absl::Time now,
                   Mutation* m) {
  for (const std::string& recipient : recipients) {
    QueueEntry q;
    q.set_case_ref(body.case_ref());
    q.set_notification_only(true);
    *q.mutable_accepted_at() = ToProto(now);
    *q.mutable_notice() = notice;
    m->enqueue.push_back(Enqueue{recipient, std::move(q)});
    v1::AuditRecord r = NoticeRecord(v1::AUDIT_ACTION_NOTIFIED, body, policy_hash, now);
    r.set_recipient(recipient);
    m->audit.push_back(std::move(r));
  }
}

}  // namespace accord::broker
