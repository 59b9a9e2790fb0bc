// The Salesforce REST API emulator, driven over HTTP with cpp-httplib's client.
#define CATCH_CONFIG_MAIN
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "crmscan/normalize.hpp"
#include "sf_emulator.hpp"

using crmscan::sfemu::Emulator;
using crmscan::sfemu::EmulatorOptions;
using crmscan::sfemu::Faults;

namespace {

const std::string kSample = CRMSCAN_SOURCE_DIR "/samples/salesforce-export";
const std::string kApi = "/services/data/v60.0";
const std::string kAmelie = "0035g00000QxB7kAAF";

EmulatorOptions sample_options() {
  EmulatorOptions options;
  options.data_dir = kSample;
  return options;
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document document;
  document.Parse(body.c_str(), body.size());
  return document;
}

std::string text(const rapidjson::Value& value, const char* name) {
  const auto& member = value[name];
  return member.IsString() ? member.GetString() : std::string();
}

std::string error_code(const std::string& body) {
  const auto document = parse(body);
  if (!document.IsArray() || document.Empty()) return "(not an error array)";
  return text(document[0], "errorCode");
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += name + "=" + httplib::detail::encode_query_param(value);
  }
  return body;
}

// An emulator serving the sample, a client for it and a token it issued.
struct Fixture {
  explicit Fixture(EmulatorOptions options = sample_options())
      : emulator(std::move(options)),
        client("127.0.0.1", emulator.start()),
        token(emulator.issue_token()) {}

  httplib::Result get(const std::string& path, httplib::Headers headers = {}) {
    headers.emplace("Authorization", "Bearer " + token);
    return client.Get(path.c_str(), headers);
  }

  httplib::Result soql(const std::string& query, const std::string& resource = "query",
                       httplib::Headers headers = {}) {
    return get(kApi + "/" + resource + "?q=" + httplib::detail::encode_query_param(query),
               std::move(headers));
  }

  // The ids a query returns, all pages read.
  std::vector<std::string> ids(const std::string& query, const std::string& resource = "query") {
    auto result = soql(query, resource);
    REQUIRE(result);
    INFO(result->body);
    REQUIRE(result->status == 200);
    const auto body = parse(result->body);
    std::vector<std::string> ids;
    for (const auto& record : body["records"].GetArray()) ids.push_back(text(record, "Id"));
    return ids;
  }

  httplib::Result sosl(const std::string& search) {
    return get(kApi + "/search?q=" + httplib::detail::encode_query_param(search));
  }

  std::set<std::string> found(const std::string& search) {
    auto result = sosl(search);
    REQUIRE(result);
    INFO(result->body);
    REQUIRE(result->status == 200);
    const auto body = parse(result->body);
    std::set<std::string> ids;
    for (const auto& record : body["searchRecords"].GetArray()) ids.insert(text(record, "Id"));
    return ids;
  }

  httplib::Result token_request(const std::vector<std::pair<std::string, std::string>>& fields) {
    return client.Post("/services/oauth2/token", form(fields), "application/x-www-form-urlencoded");
  }

  Emulator emulator;
  httplib::Client client;
  std::string token;
};

std::string base64url(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size))));
  for (auto& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string base64url(const std::string& text) {
  return base64url(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

struct RsaKey {
  RsaKey() : key(EVP_RSA_gen(2048)) { REQUIRE(key); }
  ~RsaKey() { EVP_PKEY_free(key); }
  RsaKey(const RsaKey&) = delete;
  RsaKey& operator=(const RsaKey&) = delete;

  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const auto size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return pem;
  }

  // An RS256 JWT bearer assertion as a Salesforce client builds one.
  std::string jwt(const std::string& iss, const std::string& sub, long long exp,
                  const std::string& aud = "https://login.salesforce.com") const {
    const auto signing_input =
        base64url(R"({"alg":"RS256","typ":"JWT"})") + "." +
        base64url(R"({"iss":")" + iss + R"(","sub":")" + sub + R"(","aud":")" + aud +
                  R"(","exp":)" + std::to_string(exp) + "}");
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    std::size_t size = 0;
    REQUIRE(EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key) == 1);
    REQUIRE(EVP_DigestSign(context, nullptr, &size,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1);
    std::vector<unsigned char> signature(size);
    REQUIRE(EVP_DigestSign(context, signature.data(), &size,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1);
    EVP_MD_CTX_free(context);
    return signing_input + "." + base64url(signature.data(), size);
  }

  EVP_PKEY* key;
};

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("The emulator issues tokens for the password, client-credentials and refresh grants",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  const EmulatorOptions defaults;
  auto result = fixture.token_request({{"grant_type", "password"},
                                       {"client_id", defaults.client_id},
                                       {"client_secret", defaults.client_secret},
                                       {"username", defaults.username},
                                       {"password", defaults.password}});
  REQUIRE(result);
  INFO(result->body);
  REQUIRE(result->status == 200);
  auto body = parse(result->body);
  CHECK(text(body, "instance_url") == fixture.emulator.instance_url());
  CHECK(text(body, "token_type") == "Bearer");
  CHECK(text(body, "issued_at").size() == 13);
  CHECK(text(body, "id").find("/id/00D") != std::string::npos);
  CHECK_FALSE(text(body, "signature").empty());
  CHECK_FALSE(text(body, "scope").empty());
  CHECK_FALSE(body.HasMember("refresh_token"));
  fixture.token = text(body, "access_token");
  CHECK(fixture.get(kApi + "/sobjects")->status == 200);

  result = fixture.token_request({{"grant_type", "password"},
                                  {"client_id", defaults.client_id},
                                  {"client_secret", defaults.client_secret},
                                  {"username", defaults.username},
                                  {"password", "wrong"}});
  REQUIRE(result);
  CHECK(result->status == 400);
  body = parse(result->body);
  CHECK(text(body, "error") == "invalid_grant");
  CHECK(text(body, "error_description") == "authentication failure");

  // Client credentials in HTTP Basic; the refresh token it returns works for the refresh grant.
  httplib::Client basic("127.0.0.1", fixture.emulator.port());
  basic.set_basic_auth(defaults.client_id.c_str(), defaults.client_secret.c_str());
  result = basic.Post("/services/oauth2/token", "grant_type=client_credentials",
                      "application/x-www-form-urlencoded");
  REQUIRE(result);
  REQUIRE(result->status == 200);
  const auto refresh_token = text(parse(result->body), "refresh_token");
  REQUIRE_FALSE(refresh_token.empty());
  result = fixture.token_request({{"grant_type", "client_credentials"},
                                  {"client_id", defaults.client_id},
                                  {"client_secret", defaults.client_secret}});
  REQUIRE(result);
  CHECK(result->status == 200);
  result = fixture.token_request({{"grant_type", "client_credentials"},
                                  {"client_id", defaults.client_id},
                                  {"client_secret", "nope"}});
  REQUIRE(result);
  CHECK(result->status == 400);

  for (const auto& refresh : {refresh_token, defaults.refresh_token}) {
    result = fixture.token_request({{"grant_type", "refresh_token"},
                                    {"client_id", defaults.client_id},
                                    {"client_secret", defaults.client_secret},
                                    {"refresh_token", refresh}});
    REQUIRE(result);
    CHECK(result->status == 200);
    fixture.token = text(parse(result->body), "access_token");
    CHECK(fixture.get(kApi + "/limits")->status == 200);
  }
  result = fixture.token_request({{"grant_type", "refresh_token"},
                                  {"client_id", defaults.client_id},
                                  {"refresh_token", "not-issued"}});
  REQUIRE(result);
  CHECK(result->status == 400);

  result = fixture.token_request({{"grant_type", "authorization_code"}, {"code", "x"}});
  REQUIRE(result);
  CHECK(result->status == 400);
  CHECK(text(parse(result->body), "error") == "unsupported_grant_type");
}

TEST_CASE(
    "The emulator checks JWT bearer assertions: issuer, subject, audience, expiry and RS256 "
    "signature",
    "[connector][salesforce][emulator]") {
  const RsaKey key;
  const RsaKey other;
  auto options = sample_options();
  options.jwt_public_key_pem = key.public_pem();
  Fixture fixture(options);
  const auto bearer = [&](const std::string& assertion) {
    auto result = fixture.token_request(
        {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion}});
    REQUIRE(result);
    return std::make_pair(result->status, parse(result->body));
  };
  const auto in_a_minute = now_seconds() + 60;
  auto [status, body] = bearer(key.jwt(options.client_id, options.username, in_a_minute));
  REQUIRE(status == 200);
  CHECK_FALSE(body.HasMember("refresh_token"));
  fixture.token = text(body, "access_token");
  CHECK(fixture.get(kApi + "/sobjects")->status == 200);

  CHECK(bearer(key.jwt("another-app", options.username, in_a_minute)).first == 400);
  CHECK(bearer(key.jwt(options.client_id, "someone@else.com", in_a_minute)).first == 400);
  CHECK(bearer(key.jwt(options.client_id, options.username, now_seconds() - 5)).first == 400);
  // The audience is Salesforce's login host (test.salesforce.com for a sandbox), never the org's
  // own URL.
  CHECK(bearer(key.jwt(options.client_id, options.username, in_a_minute,
                       "https://test.salesforce.com"))
            .first == 200);
  CHECK(bearer(key.jwt(options.client_id, options.username, in_a_minute,
                       fixture.emulator.instance_url()))
            .first == 400);
  CHECK(bearer(other.jwt(options.client_id, options.username, in_a_minute)).first == 400);
  CHECK(bearer("two.parts").first == 400);
  const auto refused = bearer("not a jwt at all");
  CHECK(text(refused.second, "error") == "invalid_grant");

  // Without a configured key the signature is not checked, the claims still are.
  Fixture unchecked;
  const EmulatorOptions defaults;
  auto result = unchecked.token_request(
      {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
       {"assertion", other.jwt(defaults.client_id, defaults.username, in_a_minute)}});
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("The emulator refuses API requests without a token it issued",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  for (const auto& headers :
       {httplib::Headers{}, httplib::Headers{{"Authorization", "Bearer 00Dnot!issued"}}}) {
    auto result = fixture.client.Get((kApi + "/sobjects").c_str(), headers);
    REQUIRE(result);
    CHECK(result->status == 401);
    CHECK(result->body ==
          R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
  }
  CHECK(fixture.emulator.api_usage() == 0);
  CHECK(fixture.get("/services/data/v58.0/sobjects")->status == 200);
  CHECK(fixture.get("/services/data/v62.0/nothing-here")->status == 404);
}

TEST_CASE("Describe infers field types and relationships from the sample export",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  auto result = fixture.get(kApi + "/sobjects");
  REQUIRE(result);
  auto global = parse(result->body);
  CHECK(text(global, "encoding") == "UTF-8");
  std::map<std::string, std::string> prefixes;
  std::set<std::string> custom;
  for (const auto& object : global["sobjects"].GetArray()) {
    prefixes[text(object, "name")] = text(object, "keyPrefix");
    if (object["custom"].GetBool()) custom.insert(text(object, "name"));
    CHECK(object["queryable"].GetBool());
  }
  CHECK(prefixes.size() == 21);
  CHECK(prefixes["Task"] == "00T");
  CHECK(prefixes["Lead"] == "00Q");
  CHECK(prefixes["Loyalty_Card__c"] == "a0L");
  CHECK(custom.count("Loyalty_Card__c") == 1);
  CHECK(custom.count("Contact") == 0);

  const auto describe = [&](const std::string& object) {
    auto reply = fixture.get(kApi + "/sobjects/" + object + "/describe");
    REQUIRE(reply);
    REQUIRE(reply->status == 200);
    return parse(reply->body);
  };
  const auto field = [](const rapidjson::Document& description, const std::string& name) {
    for (const auto& f : description["fields"].GetArray()) {
      if (text(f, "name") == name) {
        std::vector<std::string> targets;
        for (const auto& t : f["referenceTo"].GetArray()) targets.push_back(t.GetString());
        return std::make_pair(text(f, "type"), targets);
      }
    }
    FAIL("no field " << name);
    return std::make_pair(std::string(), std::vector<std::string>());
  };
  using Targets = std::vector<std::string>;
  const auto task = describe("task");  // names are case-insensitive
  CHECK(text(task, "name") == "Task");
  CHECK(field(task, "Id").first == "id");
  CHECK(field(task, "WhoId") ==
        std::make_pair(std::string("reference"), Targets{"Contact", "Lead"}));
  CHECK(field(task, "OwnerId") == std::make_pair(std::string("reference"), Targets{"User"}));
  CHECK(field(task, "Subject").first == "string");
  CHECK(field(task, "Description").first == "textarea");
  CHECK(field(task, "IsArchived").first == "boolean");
  CHECK(field(task, "ActivityDate").first == "date");
  CHECK(field(task, "NVMContactWorld__CW_Call_Start_Time__c").first == "datetime");

  const auto summary = describe("NVMStatsSF__NVM_Call_Summary__c");
  CHECK(field(summary, "NVMStatsSF__TaskID__c") ==
        std::make_pair(std::string("string"), Targets{}));
  CHECK(field(summary, "NVMStatsSF__Related_Lead__c").second == Targets{"Lead"});
  CHECK(field(summary, "NVMStatsSF__Transcript__c").first == "textarea");
  CHECK(field(describe("Loyalty_Card__c"), "Customer_Ref__c").first == "string");
  CHECK(
      field(describe("NVMConnect__PendingDialEntry__c"), "NVMConnect__Focus_Object_Id__c").first ==
      "string");

  const auto contact = describe("Contact");
  CHECK(field(contact, "Email").first == "email");
  CHECK(field(contact, "Phone").first == "phone");
  CHECK(field(contact, "MobilePhone").first == "phone");
  CHECK(field(contact, "AccountId").second == Targets{"Account"});
  CHECK(field(describe("EmailMessage"), "ToAddress").first == "email");
  CHECK(field(describe("Case"), "SuppliedEmail").first == "email");

  const auto has_child = [](const rapidjson::Document& description, const std::string& child,
                            const std::string& via) {
    for (const auto& r : description["childRelationships"].GetArray()) {
      if (text(r, "childSObject") == child && text(r, "field") == via) return true;
    }
    return false;
  };
  CHECK(has_child(contact, "Task", "WhoId"));
  CHECK(has_child(contact, "Event", "WhoId"));
  CHECK(has_child(describe("Lead"), "Task", "WhoId"));
  CHECK(has_child(describe("Task"), "VoiceCall", "ActivityId"));
  CHECK_FALSE(
      has_child(describe("Task"), "NVMStatsSF__NVM_Call_Summary__c", "NVMStatsSF__TaskID__c"));

  result = fixture.get(kApi + "/sobjects/No_Such_Thing__c/describe");
  REQUIRE(result);
  CHECK(result->status == 404);
  CHECK(error_code(result->body) == "NOT_FOUND");
}

TEST_CASE("query hides archived and deleted rows, queryAll returns them",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  const auto soql = "SELECT Id, IsArchived, IsDeleted FROM Task WHERE WhoId = '" + kAmelie + "'";
  const auto live = fixture.ids(soql);
  CHECK(std::set<std::string>(live.begin(), live.end()) ==
        std::set<std::string>{"00T5g00008AhdkLEAR", "00T5g00008Al3jMEAR", "00T5g00008An7MMEAZ"});
  const auto all = fixture.ids(soql, "queryAll");
  CHECK(all.size() == 5);
  CHECK(std::count(all.begin(), all.end(), "00T5g00008ATVXcEAP") == 1);  // archived
  CHECK(std::count(all.begin(), all.end(), "00T5g00008AdxnlEAB") == 1);  // deleted

  auto result = fixture.soql(soql, "queryAll");
  REQUIRE(result);
  const auto body = parse(result->body);
  CHECK(body["totalSize"].GetInt() == 5);
  CHECK(body["done"].GetBool());
  CHECK_FALSE(body.HasMember("nextRecordsUrl"));
  const auto& first = body["records"][0];
  CHECK(text(first["attributes"], "type") == "Task");
  CHECK(text(first["attributes"], "url") == kApi + "/sobjects/Task/" + text(first, "Id"));
  CHECK(first["IsArchived"].IsBool());  // booleans are JSON booleans

  result = fixture.soql("SELECT Id, Email, NVMContactWorld__CW_Call_Start_Time__c FROM Contact",
                        "query");
  REQUIRE(result);
  CHECK(error_code(result->body) == "INVALID_FIELD");
  const auto times = parse(fixture
                               .soql("SELECT WhoId, NVMContactWorld__CW_Call_End_Time__c FROM Task "
                                     "WHERE Id = '00T5g00008AloBgEAJ'")
                               ->body);
  CHECK(times["records"][0]["WhoId"].IsNull());  // empty values are null
  CHECK(text(times["records"][0], "NVMContactWorld__CW_Call_End_Time__c") ==
        "2024-03-18T08:02:10.000+0000");

  result = fixture.get(kApi + "/sobjects/Contact/0035g00000QxB7k");  // a record by its id
  REQUIRE(result);
  REQUIRE(result->status == 200);
  const auto contact = parse(result->body);
  CHECK(text(contact, "Id") == kAmelie);
  CHECK(text(contact, "LastName") == "Dubois");
  CHECK(contact["IsDeleted"].IsBool());
  CHECK(fixture.get(kApi + "/sobjects/Contact/0035g00000qXb7KAAX")->status == 404);
}

TEST_CASE("SOQL compares ids case-safely, 15 or 18 characters, and text without regard to case",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  auto ids =
      fixture.ids("SELECT Id FROM Contact WHERE Id IN ('0035g00000QxB7k', '0035g00005KwTcCAAV')");
  CHECK(std::set<std::string>(ids.begin(), ids.end()) ==
        std::set<std::string>{kAmelie, "0035g00005KwTcCAAV"});
  // The namesake's 15-character id differs from Amélie's only in letter case.
  CHECK(fixture.ids("SELECT Id FROM Contact WHERE Id = '0035g00000qXb7K'") ==
        std::vector<std::string>{"0035g00000qXb7KAAS"});
  CHECK(fixture
            .ids("SELECT Id FROM Task WHERE WhoId IN ('0035g00000QxB7k') AND Id != "
                 "'00T5g00008An7MM'")
            .size() == 2);
  // A text field holding ids compares like any text: without regard to case, as Salesforce does.
  CHECK(fixture.ids("SELECT Id FROM Loyalty_Card__c WHERE Customer_Ref__c = '0035g00000QxB7k'")
            .size() == 2);

  auto result = fixture.soql("SELECT Id FROM Contact WHERE Id = 'amelie@example.fr'");
  REQUIRE(result);
  CHECK(result->status == 400);
  CHECK(error_code(result->body) == "INVALID_QUERY_FILTER_OPERATOR");
}

TEST_CASE("SOQL conditions: LIKE, NOT, IN, null, booleans, parentheses, ORDER BY and LIMIT",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  const auto set_of = [&](const std::string& soql) {
    const auto ids = fixture.ids(soql);
    return std::set<std::string>(ids.begin(), ids.end());
  };
  CHECK(set_of("select id from contact where LastName like 'dub%'") ==
        std::set<std::string>{kAmelie, "0035g00000qXb7KAAS"});
  CHECK(set_of("SELECT Id FROM Contact WHERE FirstName LIKE 'ol_ver'") ==
        std::set<std::string>{"0035g00005KwTcCAAV"});
  CHECK(set_of("SELECT Id FROM Contact WHERE (LastName LIKE 'dub%' OR FirstName = 'OLIVER') AND "
               "NOT Email LIKE '%example.org'") ==
        std::set<std::string>{kAmelie, "0035g00005KwTcCAAV"});
  CHECK(set_of("SELECT Id FROM Contact WHERE Email = null AND IsPersonAccount = true") ==
        std::set<std::string>{"0035g00005L3gxjAAB", "0035g00005L506lAAB"});
  CHECK(set_of("SELECT Id FROM Contact WHERE LastName = 'O\\'Neill'") ==
        std::set<std::string>{"0035g00005L3gxjAAB"});
  CHECK(
      set_of("SELECT Id FROM Contact WHERE LastName NOT IN ('Dubois', 'Brooks') AND Phone <> null")
          .size() == 2);
  CHECK(set_of("SELECT Id FROM Task WHERE ActivityDate = 2022-06-02").empty());  // archived
  CHECK(fixture.ids("SELECT Id FROM Task WHERE ActivityDate = 2022-06-02", "queryAll").size() == 1);
  CHECK(fixture.ids("SELECT Id, LastName FROM Contact ORDER BY LastName DESC, FirstName LIMIT 2") ==
        std::vector<std::string>{"0035g00005L506lAAB", "0035g00005KzAZvAAN"});
  CHECK(set_of("SELECT Id FROM Account WHERE Name LIKE '%\\_%'").empty());
  CHECK(set_of("SELECT Id FROM Account WHERE Name LIKE 'Brightwater Foods, Ltd'").size() == 1);

  const auto refused = [&](const std::string& soql) {
    auto result = fixture.soql(soql);
    REQUIRE(result);
    CHECK(result->status == 400);
    return error_code(result->body);
  };
  CHECK(refused("SELECT Id FROM Contact WHERE LastName = 'a' AND FirstName = 'b' OR Id = null") ==
        "MALFORMED_QUERY");
  CHECK(refused("SELECT Id FROM Contact WHERE LastName = 'unterminated") == "MALFORMED_QUERY");
  CHECK(refused("SELECT Id FROM Contact WHERE LastName = 'bad \\q escape'") == "MALFORMED_QUERY");
  CHECK(refused("SELECT Id FROM Contact WHERE LastName = 'no \\% outside LIKE'") ==
        "MALFORMED_QUERY");
  CHECK(refused("SELECT Id FROM Contact LIMIT") == "MALFORMED_QUERY");
  CHECK(refused("SELECT Id FROM Contact WHERE IsDeleted = 'true'") ==
        "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(refused("SELECT Id FROM Contact WHERE LastName = 42") == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(refused("SELECT Id FROM Contact WHERE Description LIKE '%French%'") == "INVALID_FIELD");
  CHECK(refused("SELECT Id, Account.Name FROM Contact") == "INVALID_FIELD");
  CHECK(refused("SELECT Id FROM Contacts") == "INVALID_TYPE");
  auto result = fixture.soql("SELECT Id,\n  Nickname FROM Contact");
  REQUIRE(result);
  const auto message = text(parse(result->body)[0], "message");
  CHECK(message.find("  Nickname FROM Contact\n  ^\nERROR at Row:2:Column:3\nNo such column "
                     "'Nickname' on entity 'Contact'") != std::string::npos);
  CHECK(fixture.get(kApi + "/query")->status == 400);
}

TEST_CASE("Query results come in batches through nextRecordsUrl; queryAll cursors stay queryAll",
          "[connector][salesforce][emulator]") {
  EmulatorOptions options;
  options.max_open_cursors = 3;
  Fixture fixture(options);
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 450; ++i) {
    const auto serial = std::to_string(10000 + i);
    rows.push_back({crmscan::salesforce_id18("0035g00000" + serial), "Person " + serial,
                    i % 10 == 0 ? "true" : "false"});
  }
  fixture.emulator.add_object("Contact", {"Id", "LastName", "IsDeleted"}, rows);

  const auto read_all = [&](const std::string& resource, const std::string& batch) {
    std::vector<std::size_t> pages;
    std::size_t deleted = 0;
    auto result = fixture.soql("SELECT Id, IsDeleted FROM Contact", resource,
                               {{"Sforce-Query-Options", "batchSize=" + batch}});
    while (true) {
      REQUIRE(result);
      REQUIRE(result->status == 200);
      const auto body = parse(result->body);
      pages.push_back(body["records"].Size());
      for (const auto& record : body["records"].GetArray())
        deleted += record["IsDeleted"].GetBool();
      if (body["done"].GetBool()) {
        CHECK_FALSE(body.HasMember("nextRecordsUrl"));
        break;
      }
      const auto next = text(body, "nextRecordsUrl");
      CHECK(next.rfind(kApi + "/query/01g", 0) == 0);
      CHECK(next.substr(next.rfind('/') + 1).find('/') == std::string::npos);
      result = fixture.get(next);
    }
    return std::make_pair(pages, deleted);
  };
  CHECK(read_all("query", "200") ==
        std::make_pair(std::vector<std::size_t>{200, 200, 5}, std::size_t{0}));
  CHECK(read_all("queryAll", "200") ==
        std::make_pair(std::vector<std::size_t>{200, 200, 50}, std::size_t{45}));
  CHECK(read_all("query", "50").first.front() == 200);  // clamped to 200
  CHECK(read_all("query", "5000").first == std::vector<std::size_t>{405});
  CHECK(fixture.emulator.request_count("/query") == 10);
  CHECK(fixture.emulator.request_count("/queryAll") == 1);

  // Cursors beyond the open-cursor limit push out the oldest.
  std::vector<std::string> next_urls;
  for (int i = 0; i < 4; ++i) {
    auto result = fixture.soql("SELECT Id FROM Contact", "query",
                               {{"Sforce-Query-Options", "batchSize=200"}});
    REQUIRE(result);
    next_urls.push_back(text(parse(result->body), "nextRecordsUrl"));
  }
  auto result = fixture.get(next_urls.front());
  REQUIRE(result);
  CHECK(result->status == 400);
  CHECK(error_code(result->body) == "INVALID_QUERY_LOCATOR");
  CHECK(fixture.get(next_urls.back())->status == 200);
  CHECK(fixture.get(kApi + "/query/01gnothing-200")->status == 400);
}

TEST_CASE("SOSL matches whole tokens, split at spaces and punctuation, as Salesforce documents",
          "[connector][salesforce][emulator][sosl]") {
  Fixture fixture;
  const auto tasks = [&](const std::string& terms) {
    return fixture.found("FIND {" + terms + "} IN ALL FIELDS RETURNING Task(Id, Subject)");
  };
  // "Inbound call from 0044 20 7946 0958" holds the tokens 0044, 20, 7946 and 0958: a phrase of
  // consecutive tokens finds it; the number's digits in one piece, or a part of a token, do not.
  CHECK(tasks("\"20 7946 0958\"").count("00T5g00008AloBgEAJ") == 1);
  CHECK(tasks("442079460958").count("00T5g00008AloBgEAJ") == 0);
  CHECK(tasks("\"7946 20\"").count("00T5g00008AloBgEAJ") == 0);  // not in that order
  // "Inbound call from +447700900456": the + is punctuation, 447700900456 one token.
  CHECK(tasks("447700900456").count("00T5g00008Ad55qEAB") == 1);
  CHECK(tasks("7700900456").count("00T5g00008Ad55qEAB") == 0);
  // A trailing or inner wildcard widens a token; none may begin one.
  CHECK(tasks("4477009*").count("00T5g00008Ad55qEAB") == 1);
  CHECK(tasks("44770?900456").count("00T5g00008Ad55qEAB") == 1);
  // Words without quotes: all of them, anywhere; OR, AND, AND NOT and parentheses.
  CHECK(tasks("0958 inbound").count("00T5g00008AloBgEAJ") == 1);
  CHECK(tasks("0958 AND outbound").count("00T5g00008AloBgEAJ") == 0);
  CHECK(tasks("(0958 OR 0959) AND NOT outbound").count("00T5g00008AloBgEAJ") == 1);
  CHECK(tasks("(0958 OR 0959) AND NOT outbound").count("00T5g00008Auf12EAB") == 0);
  CHECK(tasks("447700900456 OR \"20 7946 0958\"").size() >= 2);

  // Phone fields are matched the same way: no digit normalisation is documented.
  CHECK(fixture.found("FIND {\"020 7946 0958\"} IN PHONE FIELDS RETURNING Contact(Id)") ==
        std::set<std::string>{kAmelie});
  CHECK(fixture.found("FIND {442079460958} IN PHONE FIELDS RETURNING Contact(Id)").empty());
  // Emails are tokens too: the address as a phrase finds it, in any case.
  CHECK(fixture.found("FIND {\"AMELIE.DUBOIS@EXAMPLE.FR\"} IN EMAIL FIELDS RETURNING Contact(Id), "
                      "EmailMessage(Id), FeedItem(Id)") ==
        std::set<std::string>{kAmelie, "02s5g00009DLrL3AAL"});
  CHECK(fixture.found("FIND {\"amelie.dubois@example.fr\" OR \"siobhan.oneill@example.com\"} IN "
                      "EMAIL FIELDS RETURNING Contact(Id), Account(Id)") ==
        std::set<std::string>{"0035g00000QxB7kAAF", "0015g0000FOJgY3AQL"});
  // Names: words in a row in a name field or in the first and last names; accents fold.
  CHECK(
      fixture.found("FIND {\"Amelie Dubois\"} IN NAME FIELDS RETURNING Contact(Id), Individual(Id)")
          .size() == 4);
  CHECK(fixture.found("FIND {\"Amelie Dubois\"} IN NAME FIELDS RETURNING Contact(Id WHERE Email "
                      "LIKE '%example.org')") == std::set<std::string>{"0035g00000qXb7KAAS"});
  CHECK(fixture.found("FIND {Siobhan} IN NAME FIELDS RETURNING Contact(Id)") ==
        std::set<std::string>{"0035g00005L3gxjAAB"});
  CHECK(
      fixture.found("FIND {O\\'Neill} IN NAME FIELDS RETURNING Account(Id), Contact(Id)").size() ==
      2);

  auto result =
      fixture.sosl("FIND {\"020 7946 0958\"} IN PHONE FIELDS RETURNING Contact(Id, Phone)");
  REQUIRE(result);
  const auto contact = parse(result->body);
  const auto& record = contact["searchRecords"][0];
  CHECK(text(record["attributes"], "type") == "Contact");
  CHECK(text(record, "Phone") == "020 7946 0958");
  result = fixture.sosl("FIND {Acme Logistics}");
  REQUIRE(result);
  const auto everywhere = parse(result->body);
  REQUIRE(everywhere["searchRecords"].Size() >= 1);
  CHECK(everywhere["searchRecords"][0].MemberCount() == 2);  // attributes and Id

  const auto refused = [&](const std::string& search) {
    auto reply = fixture.sosl(search);
    REQUIRE(reply);
    CHECK(reply->status == 400);
    return error_code(reply->body);
  };
  CHECK(refused("FIND {*900456} IN ALL FIELDS") == "MALFORMED_SEARCH");
  CHECK(refused("FIND {+442079460958} IN PHONE FIELDS") == "MALFORMED_SEARCH");
  CHECK(refused("FIND {a} RETURNING Contact(Id)") == "MALFORMED_SEARCH");
  CHECK(refused("FIND {Dubois RETURNING Contact(Id)") == "MALFORMED_SEARCH");
  CHECK(refused("FIND {(Dubois} RETURNING Contact(Id)") == "MALFORMED_SEARCH");
  CHECK(refused("FIND {Dubois} IN EVERY FIELDS") == "MALFORMED_SEARCH");
  CHECK(refused("FIND {Dubois} RETURNING Contactz(Id)") == "INVALID_TYPE");
  CHECK(refused("FIND {Dubois} RETURNING Contact(Nickname)") == "INVALID_FIELD");
}

TEST_CASE("SOSL never returns Recycle Bin rows, and archived activities only when indexed",
          "[connector][salesforce][emulator][sosl]") {
  // 00T5g00008ATVXcEAP is archived ("Inbound call from 020 7946 0958"), 00T5g00008AdxnlEAB deleted
  // ("Outbound call to +44 7700 900123"); queryAll returns both.
  const std::string archived = "FIND {\"020 7946 0958\"} IN ALL FIELDS RETURNING Task(Id)";
  const std::string deleted = "FIND {\"7700 900123\"} IN ALL FIELDS RETURNING Task(Id)";
  Fixture fixture;
  CHECK(fixture.found(archived).count("00T5g00008ATVXcEAP") == 0);
  CHECK(fixture.found(deleted).count("00T5g00008AdxnlEAB") == 0);
  auto options = sample_options();
  options.search.archived = true;
  Fixture indexed(options);
  CHECK(indexed.found(archived).count("00T5g00008ATVXcEAP") == 1);
  CHECK(indexed.found(deleted).count("00T5g00008AdxnlEAB") == 0);
}

TEST_CASE("SOSL caps results: each object its LIMIT or an even share, the cap in all",
          "[connector][salesforce][emulator][sosl]") {
  auto options = sample_options();
  options.search.max_results = 10;
  Fixture fixture(options);
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 12; ++i) {
    char id[19];
    std::snprintf(id, sizeof id, "a0X5g0000000%03dAAA", i);
    rows.push_back({id, "Caller 0958 " + std::to_string(i)});
  }
  fixture.emulator.add_object("Note_A__c", {"Id", "Text__c"}, rows);
  fixture.emulator.add_object("Note_B__c", {"Id", "Text__c"}, rows);
  const auto count = [&](const std::string& returning) {
    auto result = fixture.sosl("FIND {0958} IN ALL FIELDS RETURNING " + returning);
    REQUIRE(result);
    REQUIRE(result->status == 200);
    std::map<std::string, int> counts;
    auto document = parse(result->body);  // kept: a range over a temporary's member dangles
    for (const auto& record : document["searchRecords"].GetArray())
      ++counts[text(record["attributes"], "type")];
    return counts;
  };
  // Alone, an object gets the whole cap; two without a LIMIT share it evenly.
  CHECK(count("Note_A__c(Id)") == std::map<std::string, int>{{"Note_A__c", 10}});
  CHECK(count("Note_A__c(Id), Note_B__c(Id)") ==
        std::map<std::string, int>{{"Note_A__c", 5}, {"Note_B__c", 5}});
  // Neither ORDER BY nor WHERE lifts a share.
  CHECK(count("Note_A__c(Id ORDER BY Id), Note_B__c(Id WHERE Text__c != null)") ==
        std::map<std::string, int>{{"Note_A__c", 5}, {"Note_B__c", 5}});
  // A LIMIT of its own is honoured within what the cap leaves, objects taken in order.
  CHECK(count("Note_A__c(Id LIMIT 8), Note_B__c(Id LIMIT 8)") ==
        std::map<std::string, int>{{"Note_A__c", 8}, {"Note_B__c", 2}});
  CHECK(count("Note_A__c(Id LIMIT 3), Note_B__c(Id LIMIT 3)") ==
        std::map<std::string, int>{{"Note_A__c", 3}, {"Note_B__c", 3}});
}

TEST_CASE("A Bulk API 2.0 query job completes after its polls and pages its CSV by locator",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  fixture.emulator.add_object("Quoted__c", {"Id", "Name"},
                              {{"a0Q5g0000000001AAA", "say \"hi\", then\nleave"}});
  const auto post = [&](const std::string& body) {
    auto result = fixture.client.Post((kApi + "/jobs/query").c_str(),
                                      {{"Authorization", "Bearer " + fixture.token}}, body,
                                      "application/json");
    REQUIRE(result);
    return result;
  };
  auto result = post(R"({"operation":"queryAll","query":"SELECT Id, Subject, IsDeleted FROM Task",)"
                     R"("columnDelimiter":"COMMA","lineEnding":"LF"})");
  REQUIRE(result->status == 200);
  auto job = parse(result->body);
  const auto id = text(job, "id");
  CHECK(id.rfind("750", 0) == 0);
  CHECK(text(job, "state") == "UploadComplete");
  CHECK(text(job, "object") == "Task");
  CHECK(text(job, "operation") == "queryAll");

  const auto results_path = kApi + "/jobs/query/" + id + "/results";
  result = fixture.get(results_path);
  REQUIRE(result);
  CHECK(result->status == 412);
  CHECK(error_code(result->body) == "JOB_NOT_COMPLETE");
  CHECK(text(parse(fixture.get(kApi + "/jobs/query/" + id)->body), "state") == "InProgress");
  job = parse(fixture.get(kApi + "/jobs/query/" + id)->body);
  CHECK(text(job, "state") == "JobComplete");
  CHECK(job["numberRecordsProcessed"].GetInt() == 27);

  std::string locator;
  std::vector<std::string> pages;
  std::size_t records = 0;
  do {
    result = fixture.get(results_path + "?maxRecords=7" +
                         (locator.empty() ? "" : "&locator=" + locator));
    REQUIRE(result);
    REQUIRE(result->status == 200);
    CHECK(result->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
    records += std::stoul(result->get_header_value("Sforce-NumberOfRecords"));
    locator = result->get_header_value("Sforce-Locator");
    pages.push_back(result->body);
  } while (locator != "null");
  CHECK(pages.size() == 4);
  CHECK(records == 27);
  for (const auto& page : pages) {
    CHECK(page.rfind("\"Id\",\"Subject\",\"IsDeleted\"\n", 0) == 0);  // each page has the header
    CHECK(page.find('\r') == std::string::npos);
  }
  CHECK(pages[0].find("\"00T5g00008ATVXcEAP\",\"Inbound call from 020 7946 0958\",\"false\"\n") !=
        std::string::npos);
  // queryAll: the deleted Task too
  CHECK(pages[0].find("\"00T5g00008AdxnlEAB\",\"Outbound call to +44 7700 900123\",\"true\"\n") !=
        std::string::npos);

  result = post(R"({"operation":"query","query":"SELECT Name FROM Quoted__c"})");
  const auto quoted = text(parse(result->body), "id");
  fixture.get(kApi + "/jobs/query/" + quoted);
  fixture.get(kApi + "/jobs/query/" + quoted);
  result = fixture.get(kApi + "/jobs/query/" + quoted + "/results");
  REQUIRE(result);
  CHECK(result->body == "\"Name\"\n\"say \"\"hi\"\", then\nleave\"\n");
  CHECK(result->get_header_value("Sforce-Locator") == "null");

  const auto aborted =
      text(parse(post(R"({"operation":"query","query":"SELECT Id FROM Task"})")->body), "id");
  auto patched = fixture.client.Patch((kApi + "/jobs/query/" + aborted).c_str(),
                                      {{"Authorization", "Bearer " + fixture.token}},
                                      R"({"state":"Aborted"})", "application/json");
  REQUIRE(patched);
  CHECK(text(parse(patched->body), "state") == "Aborted");
  CHECK(text(parse(fixture.get(kApi + "/jobs/query/" + aborted)->body), "state") == "Aborted");
  CHECK(fixture.get(kApi + "/jobs/query/" + aborted + "/results")->status == 412);

  CHECK(error_code(post(R"({"operation":"query","query":"SELECT Id FROM Nope"})")->body) ==
        "INVALID_TYPE");
  CHECK(post(R"({"operation":"upsert","query":"SELECT Id FROM Task"})")->status == 400);
  auto deleted = fixture.client.Delete((kApi + "/jobs/query/" + id).c_str(),
                                       {{"Authorization", "Bearer " + fixture.token}});
  REQUIRE(deleted);
  CHECK(deleted->status == 204);
  CHECK(fixture.get(kApi + "/jobs/query/" + id)->status == 404);
  CHECK(fixture.emulator.request_count("/jobs/query") == 20);
  const auto log = fixture.emulator.requests();
  CHECK(std::count_if(log.begin(), log.end(), [](const auto& r) {
          return r.method == "POST" && r.query == "SELECT Id, Subject, IsDeleted FROM Task";
        }) == 1);
}

TEST_CASE("Every API response carries Sforce-Limit-Info; past the limit calls get 403",
          "[connector][salesforce][emulator]") {
  auto options = sample_options();
  options.faults.api_limit = 3;
  Fixture fixture(options);
  for (int call = 1; call <= 3; ++call) {
    auto result = fixture.get(kApi + "/limits");
    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->get_header_value("Sforce-Limit-Info") ==
          "api-usage=" + std::to_string(call) + "/3");
  }
  auto result = fixture.soql("SELECT Id FROM Contact");
  REQUIRE(result);
  CHECK(result->status == 403);
  CHECK(result->body ==
        R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])");
  CHECK(result->get_header_value("Sforce-Limit-Info") == "api-usage=3/3");
  CHECK(fixture.emulator.api_usage() == 3);

  auto faults = fixture.emulator.faults();
  faults.api_limit = 15000;
  fixture.emulator.set_faults(faults);
  fixture.emulator.set_api_usage(14998);
  result = fixture.get(kApi + "/limits");
  REQUIRE(result);
  const auto limits = parse(result->body);
  CHECK(limits["DailyApiRequests"]["Max"].GetInt() == 15000);
  CHECK(limits["DailyApiRequests"]["Remaining"].GetInt() == 1);
  CHECK(fixture.get(kApi + "/limits")->status == 200);
  CHECK(fixture.get(kApi + "/limits")->status == 403);
}

TEST_CASE("Faults on demand: expiry, 503 bursts, slowness, truncation, bad JSON, wrong type",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  const auto limits = kApi + "/limits";
  Faults faults;

  SECTION("a session expires after N calls until a new token is fetched") {
    faults.session_expires_after = 2;
    fixture.emulator.set_faults(faults);
    CHECK(fixture.get(limits)->status == 200);
    CHECK(fixture.get(limits)->status == 200);
    auto result = fixture.get(limits);
    REQUIRE(result);
    CHECK(result->status == 401);
    CHECK(error_code(result->body) == "INVALID_SESSION_ID");
    CHECK(fixture.get(limits)->status == 401);
    const EmulatorOptions defaults;
    result = fixture.token_request({{"grant_type", "password"},
                                    {"client_id", defaults.client_id},
                                    {"client_secret", defaults.client_secret},
                                    {"username", defaults.username},
                                    {"password", defaults.password}});
    REQUIRE(result);
    fixture.token = text(parse(result->body), "access_token");
    CHECK(fixture.get(limits)->status == 200);
  }
  SECTION("a burst of 503 responses with Retry-After") {
    faults.unavailable.at = 2;
    faults.unavailable.count = 2;
    faults.retry_after_seconds = 7;
    fixture.emulator.set_faults(faults);
    CHECK(fixture.get(limits)->status == 200);
    for (int i = 0; i < 2; ++i) {
      auto result = fixture.get(limits);
      REQUIRE(result);
      CHECK(result->status == 503);
      CHECK(result->get_header_value("Retry-After") == "7");
    }
    CHECK(fixture.get(limits)->status == 200);
  }
  SECTION("a slow response") {
    faults.slow_at = 2;
    faults.slow_delay = std::chrono::milliseconds(150);
    fixture.emulator.set_faults(faults);
    const auto timed = [&] {
      const auto start = std::chrono::steady_clock::now();
      CHECK(fixture.get(limits)->status == 200);
      return std::chrono::steady_clock::now() - start;
    };
    CHECK(timed() < std::chrono::milliseconds(100));
    CHECK(timed() >= std::chrono::milliseconds(150));
  }
  SECTION("a body cut off under a Content-Length for the whole") {
    faults.truncated_at = 1;
    fixture.emulator.set_faults(faults);
    auto result = fixture.soql("SELECT Id, Subject FROM Task");
    CHECK_FALSE(result);
    CHECK(fixture.soql("SELECT Id, Subject FROM Task")->status == 200);
  }
  SECTION("malformed JSON") {
    faults.malformed_json_at = 1;
    fixture.emulator.set_faults(faults);
    auto result = fixture.soql("SELECT Id FROM Contact");
    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->get_header_value("Content-Type").rfind("application/json", 0) == 0);
    CHECK(parse(result->body).HasParseError());
  }
  SECTION("a wrong content type") {
    faults.wrong_content_type_at = 1;
    fixture.emulator.set_faults(faults);
    auto result = fixture.soql("SELECT Id FROM Contact");
    REQUIRE(result);
    CHECK(result->get_header_value("Content-Type").rfind("text/html", 0) == 0);
    CHECK(result->body.rfind("<!DOCTYPE html>", 0) == 0);
  }
  CHECK(fixture.emulator.request_count("/services/oauth2/token") <= 1);
  CHECK(fixture.emulator.request_count() >= 1);
  fixture.emulator.clear_requests();
  CHECK(fixture.emulator.requests().empty());
}

TEST_CASE("An export folder is read recursively, one object per file name, in UTF-8 or Latin-1",
          "[connector][salesforce][emulator]") {
  const auto folder =
      std::filesystem::temp_directory_path() / ("crmscan-sfemu-" + std::to_string(getpid()));
  std::filesystem::create_directories(folder / "part2");
  const auto write = [&](const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(folder / path, std::ios::binary) << bytes;
  };
  write("Contact.csv",
        "\"Id\",\"LastName\"\r\n\"0035g00000QxB7kAAF\",\"Garc\xED"
        "a\"\r\n");
  write("part2/Contact.csv", "Id,LastName,Email\n0035g00005KwTcCAAV,Bennett,oliver@example.com\n");
  write("notes.txt", "not an object");
  EmulatorOptions options;
  options.data_dir = folder;
  options.latin1 = true;
  {
    Fixture fixture(options);
    CHECK(fixture.emulator.objects() == std::vector<std::string>{"Contact"});
    auto result = fixture.soql("SELECT Id, LastName, Email FROM Contact ORDER BY LastName DESC");
    REQUIRE(result);
    const auto body = parse(result->body);
    REQUIRE(body["totalSize"].GetInt() == 2);
    CHECK(text(body["records"][0], "LastName") ==
          "Garc\xC3\xAD"
          "a");
    CHECK(body["records"][0]["Email"].IsNull());
    CHECK(text(body["records"][1], "Email") == "oliver@example.com");
  }
  write("Lead.csv", "Id,LastName\n00Q5g00001vUki0EAC\n");
  CHECK_THROWS_AS(Emulator(options), std::runtime_error);
  options.data_dir = folder / "missing";
  CHECK_THROWS_AS(Emulator(options), std::runtime_error);
  options.data_dir.clear();
  options.jwt_public_key_pem = "not a key";
  CHECK_THROWS_AS(Emulator(options), std::invalid_argument);
  std::filesystem::remove_all(folder);
}

TEST_CASE("URIs up to 16,384 bytes are served, longer ones get 414",
          "[connector][salesforce][emulator]") {
  Fixture fixture;
  const auto in_list = [](std::size_t count) {
    std::string soql = "SELECT Id FROM Contact WHERE Id IN (";
    for (std::size_t i = 0; i < count; ++i) soql += (i ? ",'" : "'") + kAmelie + "'";
    return soql + ")";
  };
  // Past the 8,192 bytes at which the packaged cpp-httplib itself stops.
  auto result = fixture.soql(in_list(560));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(parse(result->body)["totalSize"].GetInt() == 1);
  result = fixture.soql(in_list(800));
  REQUIRE(result);
  CHECK(result->status == 414);
  CHECK(fixture.emulator.requests().back().status == 414);
}

TEST_CASE("The emulator starts and stops quickly, also with a keep-alive client connected",
          "[connector][salesforce][emulator]") {
  Emulator emulator(sample_options());
  const auto start = std::chrono::steady_clock::now();
  const auto port = emulator.start();
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  auto result = client.Get((kApi + "/sobjects").c_str(),
                           {{"Authorization", "Bearer " + emulator.issue_token()}});
  REQUIRE(result);
  CHECK(result->status == 200);
  emulator.stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(100));
  CHECK(emulator.port() == 0);
  CHECK(emulator.start() != 0);  // and again
}

TEST_CASE("The standalone emulator prints an instance URL and a token that work",
          "[connector][salesforce][emulator]") {
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(CRMSCAN_SF_EMULATOR, CRMSCAN_SF_EMULATOR, "--data", kSample.c_str(), "--api-limit", "9",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* printed = fdopen(out[0], "r");
  char line[512];
  std::string instance_url;
  std::string token;
  while ((instance_url.empty() || token.empty()) && std::fgets(line, sizeof line, printed)) {
    std::string text(line);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (text.rfind("instance_url=", 0) == 0) instance_url = text.substr(13);
    if (text.rfind("access_token=", 0) == 0) token = text.substr(13);
  }
  REQUIRE(instance_url.rfind("http://127.0.0.1:", 0) == 0);
  httplib::Client client(instance_url);
  auto result = client.Get((kApi + "/limits").c_str(), {{"Authorization", "Bearer " + token}});
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  std::fclose(printed);
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("Sforce-Limit-Info") == "api-usage=1/9");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
