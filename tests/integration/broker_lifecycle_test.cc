// The case lifecycle through the real broker (issue 12): referrals addressed
// to an agency and answered only by it, and what the broker raises itself.
#include "absl/strings/str_cat.h"
#include "tests/integration/broker_fixture.h"

namespace accord::testing {
namespace {

class BrokerLifecycleTest : public BrokerTest {
 protected:
  absl::StatusOr<v1::ReceiptBody> Send(const std::string& sender, const TestEvent& e,
                                       const std::function<void(v1::EventHeader*)>& edit) {
    return Publish(sender, e, edit);
  }

  static TestEvent Referral(const std::string& id) {
    TestEvent e;
    e.id = id;
    e.kind = v1::EVENT_KIND_REFERRAL;
    e.sections = {"summary", "detail"};
    return e;
  }
};

TEST_F(BrokerLifecycleTest, OnlyTheReferralsDestinationMayAnswerIt) {
  ASSERT_TRUE(Send("probation", Referral("probation-ref-1"), [](v1::EventHeader* h) {
                h->mutable_destination()->set_agency("perpetrator_programme");
                h->mutable_destination()->set_service("up2u-standard");
                h->set_about(v1::SUBJECT_ROLE_PERPETRATOR);
              }).ok());
  auto answer = [&](const std::string& sender, v1::EventKind kind, const std::string& id, const std::string& to) {
    TestEvent e;
    e.id = id;
    e.kind = kind;
    e.sections = {"summary"};
    return Send(sender, e, [&](v1::EventHeader* h) { h->set_in_reply_to(to); });
  };
  // Someone else cannot accept it for the programme.
  absl::StatusOr<v1::ReceiptBody> wrong =
      answer("victim_services", v1::EVENT_KIND_REFERRAL_ACCEPTED, "victim_services-acc-1", "probation-ref-1");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kFailedPrecondition) << wrong.status();
  EXPECT_NE(wrong.status().message().find("only its destination"), std::string::npos) << wrong.status();
  // An answer to nothing, or without saying what it answers, is refused.
  EXPECT_EQ(answer("perpetrator_programme", v1::EVENT_KIND_REFERRAL_DECLINED, "perpetrator_programme-dec-0",
                   "probation-ref-404")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(answer("perpetrator_programme", v1::EVENT_KIND_REFERRAL_DECLINED, "perpetrator_programme-dec-1", "")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The destination accepts; the referrer may close it.
  absl::StatusOr<v1::ReceiptBody> accepted = answer("perpetrator_programme", v1::EVENT_KIND_REFERRAL_ACCEPTED,
                                                    "perpetrator_programme-acc-1", "probation-ref-1");
  EXPECT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(answer("probation", v1::EVENT_KIND_REFERRAL_CLOSED, "probation-close-1", "probation-ref-1").ok());
}

TEST_F(BrokerLifecycleTest, ADestinationMustBeAPartnershipAgency) {
  absl::StatusOr<v1::ReceiptBody> r = Send("probation", Referral("probation-ref-2"), [](v1::EventHeader* h) {
    h->mutable_destination()->set_agency("nowhere");
  });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_NE(r.status().message().find("not an agency of this partnership"), std::string::npos);
}

}  // namespace
}  // namespace accord::testing
