// Pins connectors/src/signing: every `exact` vector of shared/data/signing reproduces bit for
// bit; encodings; key errors never carry key material.
#include "oms/connectors/signing.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "testkit/paths.hpp"

namespace sg = oms::signing;
using nlohmann::json;

namespace {

std::string first_string(const json& obj, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (obj.contains(k) && obj[k].is_string()) return obj[k].get<std::string>();
  }
  return {};
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The signature of one vector by our code, in the vector's own form (hex or base64).
std::string sign_vector(const json& v) {
  const auto dir = oms::testkit::shared_data() / "signing";
  const json& key = v.at("key");
  const std::string payload = first_string(v, {"payload", "prehash"});
  REQUIRE_MESSAGE(!payload.empty(), v.at("id").get<std::string>() << ": no payload/prehash");
  std::string out;
  const std::string pem_file = first_string(key, {"private_key_file"});
  if (!pem_file.empty()) {
    const std::string pw = first_string(key, {"password"});
    auto k = sg::PrivateKey::from_pem(oms::testkit::read_file(dir / pem_file), pw);
    REQUIRE_MESSAGE(k.ok(), (k.ok() ? "" : k.error().message));
    REQUIRE(k->sign_base64(payload, out).ok());
    return out;
  }
  const std::string secret = first_string(key, {"secretKey", "api_secret", "secret_key"});
  REQUIRE_MESSAGE(!secret.empty(), v.at("id").get<std::string>() << ": no secret");
  auto h = sg::HmacSha256::create(secret);
  REQUIRE(h.ok());
  const bool base64 = v.at("exchange") == "okx";
  REQUIRE((base64 ? h->sign_base64(payload, out) : h->sign_hex(payload, out)).ok());
  return out;
}

}  // namespace

TEST_CASE("every exact signing vector in shared/data reproduces bit for bit") {
  const json doc = json::parse(
      oms::testkit::read_file(oms::testkit::shared_data() / "signing/signing_vectors.json"));
  int exact = 0;
  for (const json& v : doc.at("vectors")) {
    if (!v.value("exact", false)) continue;
    ++exact;
    const std::string id = v.at("id").get<std::string>();
    CAPTURE(id);
    const std::string expected = v.at("expected_signature").get<std::string>();
    const std::string ours = sign_vector(v);
    // Hex digests are case-insensitive (the file says so); base64 is compared exactly.
    const bool is_hex = expected.size() == 64 &&
                        expected.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    CHECK((is_hex ? lower(ours) == lower(expected) : ours == expected));
  }
  CHECK(exact == 9);  // 3 Binance HMAC, Ed25519, RSA, 3 Bybit, 1 OKX: all of them, none skipped
}

TEST_CASE("RSA signature of the binance-signature-examples key matches the openssl CLI") {
  // Oracle: printf 'timestamp=1578963600000' | openssl dgst -sha256 -sign <key> | base64 -w0
  const auto pem = oms::testkit::read_file(
      oms::testkit::shared_data() / "signing/keys/binance-signature-examples_rsa_private_key.pem");
  auto k = sg::PrivateKey::from_pem(pem);
  REQUIRE(k.ok());
  CHECK(k->kind() == sg::KeyKind::kRsa);
  std::string out;
  REQUIRE(k->sign_base64("timestamp=1578963600000", out).ok());
  CHECK(out ==
        "qlutXCa1uE6hTGbCXTWb+Mz1qToKVUWSod532McnpJfTGctqkrovh61n/"
        "GZ03epBlAK6d1f5i+pIs0asvowTenZEEazY+hrai1dzWOfYh+"
        "XI2PpsnV5QKNzmVxF+0Eur+VG2WqmJMusumvKxq2HfHrrmNl1jeMl5JtOj7P/"
        "IaSOIbsgcYn467oOl9saVEmFeiirFLHCFn1P6Jm/"
        "EVaFAsCL+egloFk3MLQdKdRErZSAmW2pmzmwYD1JqILAJXWV3i/"
        "jdPC7CR+g3New56GdZjhqpSbz8uFTQeLFoZj0Jc1U3AntZBHvPCM+"
        "QgLXv987qGwDDKjB1wsrHfglT511zOw==");
}

TEST_CASE("Binance signer percent-encodes an Ed25519 signature and leaves HMAC hex alone") {
  const auto pem = oms::testkit::read_file(
      oms::testkit::shared_data() / "signing/keys/python-binance_ed25519_pkcs8_unencrypted.pem");
  auto s = sg::BinanceSigner::pem(pem);
  REQUIRE(s.ok());
  std::string out;
  REQUIRE(
      s->append_signature(
           "price=50000&quantity=1&side=BUY&symbol=BTCUSDT&timestamp=1631234567890&type=LIMIT", out)
          .ok());
  CHECK(out ==
        "a4Pm3p02D2HXtNfo3DBaVCe9Ov7kledewgYtGjekotFmZ5wXa3mC5AtLB7CpAphyNjeyovIuDP%2B9fyjYmsojCw%"
        "3D%3D");

  auto h =
      sg::BinanceSigner::hmac("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
  REQUIRE(h.ok());
  std::string hex = "sig=";
  REQUIRE(h->append_signature("timestamp=1578963600000", hex).ok());
  CHECK(hex == "sig=d84e6641b1e328e7b418fff030caed655c266299c9355e36ce801ed14631eed4");
}

TEST_CASE("HMAC context is reused: signing twice gives the same digest, another payload another") {
  auto h =
      sg::HmacSha256::create("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
  REQUIRE(h.ok());
  std::string a, b, c;
  REQUIRE(h->sign_hex("timestamp=1578963600000", a).ok());
  REQUIRE(h->sign_hex("timestamp=1578963600001", b).ok());
  REQUIRE(h->sign_hex("timestamp=1578963600000", c).ok());
  CHECK(a == "d84e6641b1e328e7b418fff030caed655c266299c9355e36ce801ed14631eed4");
  CHECK(a == c);
  CHECK(a != b);
}

TEST_CASE("key errors are clear and never contain the key or password") {
  CHECK(sg::HmacSha256::create("").error().message == "hmac: empty secret");
  auto bad = sg::PrivateKey::from_pem(
      "-----BEGIN PRIVATE KEY-----\nnot base64 secretmaterial\n-----END PRIVATE KEY-----\n");
  REQUIRE(!bad.ok());
  CHECK(bad.error().message.find("pem: cannot parse the private key") == 0);
  CHECK(bad.error().message.find("secretmaterial") == std::string::npos);

  const auto enc =
      oms::testkit::read_file(oms::testkit::shared_data() /
                              "signing/keys/python-binance_rsa_pkcs8_encrypted_pw-testpwd.pem");
  auto wrong = sg::PrivateKey::from_pem(enc, "wrong-password-xyz");
  REQUIRE(!wrong.ok());
  CHECK(wrong.error().message.find("wrong password") != std::string::npos);
  CHECK(wrong.error().message.find("wrong-password-xyz") == std::string::npos);
  auto none = sg::PrivateKey::from_pem(enc);
  REQUIRE(!none.ok());
  CHECK(none.error().message.find("without a password") != std::string::npos);
}

TEST_CASE("base64, hex and percent-encoding match RFC 4648 / RFC 3986 examples") {
  const auto b64 = [](std::string_view s) {
    std::string out;
    sg::append_base64(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), out);
    return out;
  };
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foobar") == "Zm9vYmFy");
  std::string hex;
  const std::uint8_t bytes[] = {0x00, 0xAB, 0xFF};
  sg::append_hex(bytes, 3, hex);
  CHECK(hex == "00abff");
  std::string url;
  sg::append_url_encoded("a-Z_0.~ +/=[\"]\xEF\xBC\x91", url);
  CHECK(url == "a-Z_0.~%20%2B%2F%3D%5B%22%5D%EF%BC%91");
}

TEST_CASE("a legacy PBES1-encrypted key is refused with a clear error, not mis-parsed") {
  // OpenSSL 3 reads legacy PBES1 (DES/MD5) only with its legacy provider, which we do not load:
  // re-encrypt such keys with PBES2 (openssl pkcs8 -topk8 -v2 aes-256-cbc).
  const auto pem = oms::testkit::read_file(
      oms::testkit::shared_data() /
      "signing/keys/binance-signature-examples_rsa_encrypted_private_key_pw-password.pem");
  auto k = sg::PrivateKey::from_pem(pem, "password");
  if (k.ok()) {
    // A build whose default provider still has PBES1 must then produce the openssl oracle.
    std::string out;
    REQUIRE(k->sign_base64("timestamp=1578963600000", out).ok());
    CHECK(out.substr(0, 16) == "qlutXCa1uE6hTGbC");
  } else {
    CHECK(k.error().message ==
          "pem: cannot parse the private key (wrong password, unsupported cipher, or not a PEM "
          "private key)");
  }
}
