#include "registry/shared/mime/base64.h"

#include <string>

#include "gtest/gtest.h"

namespace xds {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(EncodeBase64(plain), encoded);
    auto decoded = DecodeBase64(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded << ": " << decoded.status();
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, IgnoresWhitespaceAndLineBreaks) {
  auto decoded = DecodeBase64("  Zm9v\r\n YmFy\n\tZm8=\r\n");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "foobarfo");
}

TEST(Base64Test, RejectsBadInput) {
  EXPECT_FALSE(DecodeBase64("Zm9").ok());       // not a multiple of 4
  EXPECT_FALSE(DecodeBase64("Zg").ok());        // padding missing
  EXPECT_FALSE(DecodeBase64("Z===").ok());      // too much padding
  EXPECT_FALSE(DecodeBase64("Zg=A").ok());      // '=' inside
  EXPECT_FALSE(DecodeBase64("Zg==Zm9v").ok());  // padding before the end
  EXPECT_FALSE(DecodeBase64("Zm9*").ok());      // not in the alphabet
  EXPECT_FALSE(DecodeBase64("====").ok());
}

TEST(Base64Test, BinaryRoundTripAcrossChunkBorders) {
  std::string data(3 * 1024 * 1024 + 7, '\0');  // larger than one OpenSSL chunk
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  std::string encoded = EncodeBase64(data);
  EXPECT_EQ(encoded.size(), (data.size() + 2) / 3 * 4);
  auto decoded = DecodeBase64(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == data);
}

}  // namespace
}  // namespace xds
