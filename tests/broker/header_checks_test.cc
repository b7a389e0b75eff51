// The broker's stateless header checks (broker/header_checks.h): what a header
// must be before policy or storage ever look at it.
#include "broker/header_checks.h"

#include <gtest/gtest.h>

namespace accord::broker {
namespace {

v1::EventHeader Valid() {
  v1::EventHeader h;
  h.set_version(1);
  h.set_event_id("probation-ref-1");
  h.set_kind(v1::EVENT_KIND_REFERRAL);
  h.set_sender("probation");
  h.set_case_ref("case-1");
  v1::SubjectRef* s = h.add_subjects();
  s->set_ref(std::string(64, 'a'));
  s->set_role(v1::SUBJECT_ROLE_PERPETRATOR);
  h.add_sections()->set_name("summary");
  return h;
}

absl::Status Check(const v1::EventHeader& h) { return CheckHeader(h, "probation", Limits()); }

TEST(HeaderChecksTest, AValidHeaderPasses) { EXPECT_TRUE(Check(Valid()).ok()) << Check(Valid()); }

TEST(HeaderChecksTest, EventIdsLieInTheSendersNamespace) {
  EXPECT_TRUE(InSenderNamespace("police-1", "police"));
  EXPECT_TRUE(InSenderNamespace("police:INC-1", "police"));
  EXPECT_FALSE(InSenderNamespace("policeman-1", "police"));
  EXPECT_FALSE(InSenderNamespace("police-", "police"));
  EXPECT_FALSE(InSenderNamespace("police", "police"));
  EXPECT_FALSE(InSenderNamespace("-1", ""));
  v1::EventHeader h = Valid();
  h.set_event_id("police-1");
  EXPECT_EQ(Check(h).code(), absl::StatusCode::kInvalidArgument);
}

TEST(HeaderChecksTest, SectionNamesFollowTheGrammar) {
  for (const char* good : {"health", "health@perpetrator", "risk@victim", "children@child", "x@other", "a_2"}) {
    v1::EventHeader h = Valid();
    h.add_sections()->set_name(good);
    EXPECT_TRUE(Check(h).ok()) << good << ": " << Check(h);
  }
  for (const char* bad : {"Health", "health@", "health@mother", "@victim", "health@victim@child", "2risk",
                          "he alth", "risk-level"}) {
    v1::EventHeader h = Valid();
    h.add_sections()->set_name(bad);
    EXPECT_EQ(Check(h).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  v1::EventHeader twice = Valid();
  twice.add_sections()->set_name("summary");
  EXPECT_EQ(Check(twice).code(), absl::StatusCode::kInvalidArgument) << "names are unique";
}

TEST(HeaderChecksTest, BrokerOnlyKindsCannotBeSent) {
  for (v1::EventKind k : {v1::EVENT_KIND_FEEDBACK_DUE, v1::EVENT_KIND_SERIAL_PATTERN}) {
    v1::EventHeader h = Valid();
    h.set_kind(k);
    absl::Status s = Check(h);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("broker only"), std::string::npos) << s;
  }
  v1::EventHeader h = Valid();
  h.set_kind(v1::EVENT_KIND_REFERRAL_ACCEPTED);
  EXPECT_TRUE(Check(h).ok());
}

TEST(HeaderChecksTest, DestinationAboutAndReplyAreChecked) {
  v1::EventHeader h = Valid();
  h.mutable_destination()->set_agency("up2u");
  h.mutable_destination()->set_service("up2u-standard");
  h.set_about(v1::SUBJECT_ROLE_PERPETRATOR);
  EXPECT_TRUE(Check(h).ok()) << Check(h);

  v1::EventHeader self = h;
  self.mutable_destination()->set_agency("probation");
  EXPECT_EQ(Check(self).code(), absl::StatusCode::kInvalidArgument) << "not to itself";
  v1::EventHeader nowhere = h;
  nowhere.mutable_destination()->set_agency("");
  EXPECT_EQ(Check(nowhere).code(), absl::StatusCode::kInvalidArgument);
  v1::EventHeader about = h;
  about.set_about(static_cast<v1::SubjectRole>(17));
  EXPECT_EQ(Check(about).code(), absl::StatusCode::kInvalidArgument);
  v1::EventHeader reply = h;
  reply.set_in_reply_to("up2u-ref/../1");
  EXPECT_EQ(Check(reply).code(), absl::StatusCode::kInvalidArgument);
  reply.set_in_reply_to("up2u-accept-1");
  EXPECT_TRUE(Check(reply).ok());
}

}  // namespace
}  // namespace accord::broker
