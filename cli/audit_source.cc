#include "cli/audit_source.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "accord/v1/audit.grpc.pb.h"
#include "agents/sdk/agency_client.h"
#include "broker/audit/audit_answers.h"
#include "broker/audit/audit_db.h"
#include "cli/agency_flags.h"

namespace accord::cli {
namespace {

class DatabaseSource : public AuditSource {
 public:
  DatabaseSource(std::string dir, std::unique_ptr<audit::AuditDatabase> db, std::unique_ptr<audit::AuditLog> log)
      : dir_(std::move(dir)), db_(std::move(db)), log_(std::move(log)) {}

  bool remote() const override { return false; }
  std::string name() const override { return absl::StrCat("the database ", dir_); }
  absl::StatusOr<v1::SignedTreeHead> SignedTreeHead(const v1::GetSignedTreeHeadRequest& r) override {
    return audit::AnswerSignedTreeHead(*log_, r);
  }
  absl::StatusOr<v1::GetLeavesResponse> GetLeaves(const v1::GetLeavesRequest& r) override {
    return audit::AnswerGetLeaves(*log_, r);
  }
  absl::StatusOr<v1::ListTreeHeadSizesResponse> ListTreeHeadSizes(const v1::ListTreeHeadSizesRequest& r) override {
    return audit::AnswerListTreeHeadSizes(*log_, r);
  }
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(const v1::GetInclusionProofRequest& r) override {
    return audit::AnswerGetInclusionProof(*log_, r);
  }
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& r) override {
    return audit::AnswerGetConsistencyProof(*log_, r);
  }
  absl::StatusOr<v1::WhoSawResponse> WhoSaw(const v1::WhoSawQuery& q) override {
    return audit::AnswerWhoSaw(*log_, q);
  }

 private:
  std::string dir_;
  std::unique_ptr<audit::AuditDatabase> db_;
  std::unique_ptr<audit::AuditLog> log_;  // reads db_: declared after it, destroyed before it
};

class BrokerSource : public AuditSource {
 public:
  BrokerSource(std::string address, std::unique_ptr<agents::AgencyClient> client)
      : address_(std::move(address)),
        client_(std::move(client)),
        stub_(v1::AuditService::NewStub(client_->channel())) {}

  bool remote() const override { return true; }
  std::string name() const override { return absl::StrCat("the broker ", address_); }
  absl::StatusOr<v1::SignedTreeHead> SignedTreeHead(const v1::GetSignedTreeHeadRequest& r) override {
    return Call<v1::SignedTreeHead>("GetSignedTreeHead", r, &Stub::GetSignedTreeHead);
  }
  absl::StatusOr<v1::GetLeavesResponse> GetLeaves(const v1::GetLeavesRequest& r) override {
    return Call<v1::GetLeavesResponse>("GetLeaves", r, &Stub::GetLeaves);
  }
  absl::StatusOr<v1::ListTreeHeadSizesResponse> ListTreeHeadSizes(const v1::ListTreeHeadSizesRequest& r) override {
    return Call<v1::ListTreeHeadSizesResponse>("ListTreeHeadSizes", r, &Stub::ListTreeHeadSizes);
  }
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(const v1::GetInclusionProofRequest& r) override {
    return Call<v1::GetInclusionProofResponse>("GetInclusionProof", r, &Stub::GetInclusionProof);
  }
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const v1::GetConsistencyProofRequest& r) override {
    return Call<v1::GetConsistencyProofResponse>("GetConsistencyProof", r, &Stub::GetConsistencyProof);
  }
  absl::StatusOr<v1::WhoSawResponse> WhoSaw(const v1::WhoSawQuery& q) override {
    return Call<v1::WhoSawResponse>("WhoSaw", q, &Stub::WhoSaw);
  }

 private:
  using Stub = v1::AuditService::Stub;

  template <typename Response, typename Request, typename Method>
  absl::StatusOr<Response> Call(const char* what, const Request& request, Method method) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    Response response;
    if (absl::Status s = agents::FromGrpc(((*stub_).*method)(&ctx, request, &response), what); !s.ok()) return s;
    return response;
  }

  std::string address_;
  std::unique_ptr<agents::AgencyClient> client_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace

std::vector<FlagSpec> AuditSourceFlags() {
  return {
      {"data", true, "the broker's data directory (RocksDB), opened read-only"},
      {"broker", true, "instead of --data: a running broker, host:port (mutual TLS)"},
      {"as", true, "with --broker: your auditor agency id (its certificate is in --partnership)"},
      {"partnership", true, "partnership directory: the log key is PDIR/public/log.pub; with --broker "
                            "also your agency's TLS keys"},
  };
}

absl::StatusOr<std::unique_ptr<AuditSource>> OpenAuditSource(const Args& args) {
  if (args.Has("data") == args.Has("broker")) {
    return absl::InvalidArgumentError(
        "give the log: --data DIR (the broker's data directory) or --broker HOST:PORT (a running broker)");
  }
  if (args.Has("data")) {
    const std::string dir = *args.Get("data");
    absl::StatusOr<std::unique_ptr<audit::AuditDatabase>> db = audit::AuditDatabase::OpenReadOnly(dir);
    if (!db.ok()) return db.status();
    absl::StatusOr<std::unique_ptr<audit::AuditLog>> log =
        audit::AuditLog::Open((*db)->db(), (*db)->cfs(), std::nullopt);
    if (!log.ok()) return log.status();
    return std::make_unique<DatabaseSource>(dir, *std::move(db), *std::move(log));
  }
  if (!args.Has("as") || !args.Has("partnership")) {
    return absl::InvalidArgumentError("--broker needs --as AGENCY (an auditor agency) and --partnership PDIR");
  }
  absl::StatusOr<std::unique_ptr<agents::AgencyClient>> client = ConnectAgency(args);
  if (!client.ok()) {
    return absl::Status(client.status().code(),
                        absl::StrCat("cannot connect to ", *args.Get("broker"), ": ", client.status().message()));
  }
  return std::make_unique<BrokerSource>(*args.Get("broker"), *std::move(client));
}

}  // namespace accord::cli
