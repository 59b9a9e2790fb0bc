// Security defaults, each proven: no credential in anything a scan writes, values redacted in
// every format unless asked for, private output files never written through a link, TLS always
// verified, plain http only to this machine, spreadsheet formulas neutralised.
#define CATCH_CONFIG_MAIN
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crmscan/http.hpp"
#include "emulator_kit.hpp"
#include "salesforce_org.hpp"
#include "sf_emulator.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace crmscan::test;
using Environment = SalesforceEnvironment;

namespace {

// Credentials the emulated org accepts, chosen so that a leak of any of them is found by grep.
const crmscan::test::OrgCredentials kOrg{"leakcheck-client-id-7f3a", "leakcheck-client-secret-91c2",
                                         "leakcheck-password-5d8e", "leakcheck-security-token-a4b6",
                                         "leakcheck-refresh-token-e0f1"};

std::vector<std::string> scan_args(const std::string& login_url, const std::string& out,
                                   std::vector<std::string> extra = {}) {
  return sample_scan_args({"--connector", "salesforce", "--option", "login_url=" + login_url,
                           "--option", "api_reserve=0"},
                          out, std::move(extra));
}

// The request values a scan keeps for plan and verify hold the identifiers in clear by design;
// the "values.json is private" test checks it on its own.
const std::string kValuesFile = "values.json";

// Everything a run wrote: standard output and error, and every file in the output folder.
std::string everything_written(const CommandResult& result, const std::string& out) {
  std::string all = result.out + "\n" + result.err + "\n";
  if (fs::exists(out)) {
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      if (entry.path().filename() != kValuesFile && entry.is_regular_file())
        all += read_file(entry.path().string()) + "\n";
    }
  }
  return all;
}

struct Certificate {
  std::string cert_path;
  std::string key_path;
};

// A self-signed certificate for 127.0.0.1, made for this test run: its own CA.
Certificate self_signed(const TempDir& dir) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    auto* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    REQUIRE(extension != nullptr);
    X509_add_ext(cert.get(), extension, -1);
    X509_EXTENSION_free(extension);
  }
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  const Certificate paths{dir / "cert.pem", dir / "key.pem"};
  std::unique_ptr<FILE, decltype(&fclose)> cert_file(fopen(paths.cert_path.c_str(), "w"), &fclose);
  PEM_write_X509(cert_file.get(), cert.get());
  std::unique_ptr<FILE, decltype(&fclose)> key_file(fopen(paths.key_path.c_str(), "w"), &fclose);
  PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return paths;
}

/// An HTTPS front for the emulator on 127.0.0.1: the org behind a certificate of this test's.
class TlsFront {
 public:
  TlsFront(const Certificate& certificate, std::uint16_t emulator_port)
      : emulator_port_(emulator_port) {
    const auto forward = [this](const httplib::Request& request, httplib::Response& response) {
      const auto result = crmscan::test::forward(emulator_port_, request);
      if (!result) {
        response.status = 502;
        return;
      }
      response.status = result->status;
      for (const auto& [name, value] : result->headers) {
        if (name.rfind("Sforce-", 0) == 0) response.set_header(name, value);
      }
      response.set_content(result->body, result->get_header_value("Content-Type"));
    };
    server_.start(0, forward,
                  std::make_unique<httplib::SSLServer>(certificate.cert_path.c_str(),
                                                       certificate.key_path.c_str()));
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  std::uint16_t emulator_port_;
  // Last: it stops serving before what its handler uses goes.
  crmscan::emulator::Server server_;
};

}  // namespace

TEST_CASE("No credential appears in anything a scan writes, failing scans included",
          "[security][salesforce]") {
  crmscan::sfemu::Emulator org(kOrg.sample_org());
  org.start();
  const TempDir scratch;
  const auto out = scratch / "report";
  const auto token = org.issue_token();
  crmscan::test::keep_secret(token);
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> extra;
  crmscan::sfemu::Faults faults;
  int expected_exit = 0;
  SECTION("a token at hand") {
    env = {{"SF_ACCESS_TOKEN", token}, {"SF_INSTANCE_URL", org.instance_url()}};
  }
  SECTION("a token that expires and cannot be renewed") {
    env = {{"SF_ACCESS_TOKEN", token}, {"SF_INSTANCE_URL", org.instance_url()}};
    faults.session_expires_after = 5;
    expected_exit = 2;
  }
  SECTION("username, password and security token") {
    env = kOrg.password_sign_in();
  }
  SECTION("a refresh token, values shown") {
    env = {{"SF_CLIENT_ID", kOrg.client_id}, {"SF_REFRESH_TOKEN", kOrg.refresh_token}};
    extra = {"--show-values"};
  }
  SECTION("client credentials from a file, the org's request limit reached") {
    write_file(scratch / "secret", kOrg.client_secret + "\n");
    env = {{"SF_CLIENT_ID", kOrg.client_id}, {"SF_CLIENT_SECRET_FILE", scratch / "secret"}};
    faults.api_limit = 6;
    expected_exit = 2;
  }
  SECTION("a wrong password, refused") {
    env = {{"SF_CLIENT_ID", kOrg.client_id},
           {"SF_CLIENT_SECRET", kOrg.client_secret},
           {"SF_USERNAME", "scanner@example.com"},
           {"SF_PASSWORD", kOrg.password + "-wrong"}};
    expected_exit = 2;
  }
  SECTION("an invalid response in the middle of the scan") {
    env = {{"SF_CLIENT_ID", kOrg.client_id}, {"SF_CLIENT_SECRET", kOrg.client_secret}};
    faults.malformed_json_at = 4;
    expected_exit = 2;
  }
  org.set_faults(faults);
  const Environment environment(env);
  const auto result = run_crmscan(scan_args(org.instance_url(), out, extra), scratch);
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.exit_code == expected_exit);
  const auto written = everything_written(result, out);
  for (const std::string& secret : {kOrg.client_secret, kOrg.password, kOrg.security_token,
                                    kOrg.refresh_token, token, token.substr(token.find('!') + 1)}) {
    CHECK_THAT(written, !Catch::Contains(secret));
  }
}

TEST_CASE("Values are redacted in every format and in the summary unless --show-values",
          "[security][report]") {
  const TempDir scratch;
  const auto out = scratch / "report";
  // An export whose malformed row holds personal data, so that its error is written too.
  const auto input = scratch / "export";
  fs::copy(source_path("samples/salesforce-export"), input);
  write_file(input + "/Lead.csv",
             "\"Id\",\"Email\",\"Phone\"\n\"00Q5g00000LEAK1\",\"amelie.dubois@example.fr\"\n");
  const auto run = [&](std::vector<std::string> extra) {
    const auto result =
        run_crmscan(sample_scan_args({"--input", input}, out, std::move(extra)), scratch);
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 2);  // the malformed row
    return everything_written(result, out);
  };
  // Values of the sample's customers as the export writes them, and as normalised.
  const std::vector<std::string> values{"amelie.dubois", "Amelie.Dubois", "tomas.garcia",
                                        "Dubois",        "García",        "020 7946 0958",
                                        "+442079460958", "7700 900123",   "O'Neill"};
  const auto no_case = Catch::CaseSensitive::No;
  const auto redacted = run({});
  for (const auto& value : values) CHECK_THAT(redacted, !Catch::Contains(value, no_case));
  // values.json: the identifiers that plan and verify need, in clear, readable by the owner only.
  const auto values_file = out + "/" + kValuesFile;
  REQUIRE(fs::is_regular_file(values_file));
  CHECK((fs::status(values_file).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  CHECK_THAT(read_file(values_file), Catch::Contains("amelie.dubois", no_case));
  fs::remove_all(out);
  // The same scan with --show-values shows them: the check above can fail.
  const auto shown = run({"--show-values"});
  CHECK_THAT(shown, Catch::Contains("amelie.dubois", no_case));
}

TEST_CASE("Outputs are created mode 0600 in a 0700 folder and never written through a link",
          "[security][report]") {
  const TempDir scratch;
  const auto out = scratch / "report";
  const std::vector<std::string> args{"scan",
                                      "--input",
                                      source_path("samples/salesforce-export"),
                                      "--subjects",
                                      source_path("samples/salesforce-expected/subjects.csv"),
                                      "--default-region",
                                      "GB",
                                      "--format",
                                      "json,ndjson,csv",
                                      "--out",
                                      out};
  SECTION("a new folder") {
    const auto result = run_crmscan(args, scratch);
    REQUIRE(result.exit_code == 0);
    CHECK(crmscan::test::permissions_of(out) == 0700);
    for (const auto* format : {"json", "ndjson", "csv"})
      CHECK(crmscan::test::permissions_of(out + "/findings." + format) == 0600);
  }
  SECTION("a findings file that is a symbolic link to another file") {
    fs::create_directories(out);
    write_file(scratch / "victim", "precious\n");
    fs::create_symlink(scratch / "victim", out + "/findings.json");
    const auto result = run_crmscan(args, scratch);
    CHECK(result.exit_code != 0);
    CHECK(read_file(scratch / "victim") == "precious\n");
    CHECK(fs::is_symlink(out + "/findings.json"));
  }
}

TEST_CASE("TLS is verified: a self-signed server is refused unless its CA is given",
          "[security][salesforce][tls]") {
  const TempDir scratch;
  const auto certificate = self_signed(scratch);
  crmscan::sfemu::Emulator org(kOrg.sample_org());
  org.start();
  const TlsFront front(certificate, org.port());
  const auto out = scratch / "report";

  SECTION("the HTTP client itself") {
    crmscan::HttpClient untrusting;
    CHECK_THROWS_AS(untrusting.send({"GET", front.url() + "/services/data/v60.0/limits", {}, {}}),
                    crmscan::HttpError);
    crmscan::HttpOptions options;
    options.ca_file = certificate.cert_path;
    crmscan::HttpClient trusting(options);
    CHECK(trusting.send({"GET", front.url() + "/services/data/v60.0/limits", {}, {}}).status ==
          401);  // reached the org, which wants a token
  }
  SECTION("a scan through the CLI") {
    const Environment environment(
        {{"SF_ACCESS_TOKEN", org.issue_token()}, {"SF_INSTANCE_URL", front.url()}});
    const auto refused = run_crmscan(scan_args(front.url(), out), scratch);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(read_file(out + "/findings.json"),
               Catch::Contains("\"complete\": false") && Catch::Contains("certificate"));
    for (const auto& trust :
         std::vector<std::vector<std::string>>{{"--option", "ca_file=" + certificate.cert_path},
                                               {"--ca-file", certificate.cert_path}}) {
      INFO(trust[0]);
      fs::remove_all(out);
      const auto accepted = run_crmscan(scan_args(front.url(), out, trust), scratch);
      INFO("stderr:\n" << accepted.err);
      CHECK(accepted.exit_code == 0);
      CHECK_THAT(read_file(out + "/findings.json"), Catch::Contains("\"complete\": true"));
    }
  }
}

TEST_CASE("Plain http is refused for any host but this machine", "[security][salesforce]") {
  const TempDir scratch;
  const Environment environment({{"SF_ACCESS_TOKEN", "unused"}, {"SF_INSTANCE_URL", "unused"}});
  for (const auto* url : {"http://login.salesforce.com", "http://10.0.0.1:8080",
                          "http://127.0.0.1.example.com", "http://localhost.example.com"}) {
    INFO(url);
    const auto result = run_crmscan(scan_args(url, scratch / "report"), scratch);
    CHECK(result.exit_code == 78);
    CHECK_THAT(result.err, Catch::Contains("refusing"));
  }
}

TEST_CASE("CSV cells that a spreadsheet would run as formulas are neutralised end to end",
          "[security][report][csv]") {
  const TempDir scratch;
  const auto input = scratch / "export";
  // An email address may start with '-' or '=': shown, it would be a formula.
  write_file(input + "/Contact.csv",
             "Id,FirstName,LastName,Email,Phone,Description\n"
             "0035g00000FORM1AAA,\"=HYPERLINK(\"\"http://evil\"\")\",@SUM(A1),"
             "-2+3@example.com,+44 20 7946 0958,=1+1\n");
  const auto result = run_crmscan(
      {"scan", "--input", input, "--email=-2+3@example.com", "--phone", "+44 20 7946 0958",
       "--show-values", "--format", "csv", "--out", scratch / "report"},
      scratch);
  INFO("stderr:\n" << result.err);
  REQUIRE(result.exit_code == 0);
  const auto rows = crmscan::test::read_csv_file(scratch / "report/findings.csv");
  REQUIRE(rows.size() > 1);
  bool neutralised = false;
  for (const auto& row : rows) {
    for (const auto& cell : row) {
      INFO(cell);
      CHECK((cell.empty() || std::string("=+-@\t\r").find(cell[0]) == std::string::npos));
      neutralised = neutralised || cell.rfind("'-2+3@", 0) == 0 || cell.rfind("'+44", 0) == 0;
    }
  }
  CHECK(neutralised);
}

TEST_CASE("An identifier that cannot be read is redacted in the error that names it",
          "[security][subjects]") {
  const TempDir scratch;
  for (const auto& [flag, value] : {std::pair{"--email", "amelie.dubois@@example.fr"},
                                    std::pair{"--phone", "+999 7946 0958"}}) {
    INFO(flag);
    const auto result = run_crmscan(
        {"scan", "--input", source_path("samples/salesforce-export"), flag, value}, scratch);
    CHECK(result.exit_code == 65);
    CHECK_THAT(result.err, Catch::Contains("request"));
    CHECK_THAT(result.err + result.out,
               !Catch::Contains("dubois", Catch::CaseSensitive::No) && !Catch::Contains("7946"));
  }
}
