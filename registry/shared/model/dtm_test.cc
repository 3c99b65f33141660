#include "registry/shared/model/dtm.h"

#include <gtest/gtest.h>

namespace xds {
namespace {

TEST(DtmTest, IsDtm) {
  for (const char* v :
       {"2005", "200501", "20050102", "2005010203", "200501020304", "20050102030405", "20240229", "20001231235959"}) {
    EXPECT_TRUE(IsDtm(v)) << v;
  }
  for (const char* v :
       {"", "200", "20051", "20051301", "20050100", "20230229", "20050431", "2005010224", "200501020360",
        "20050102030460", "2005a1", "20050102T0304", "200501020304050", "20050102030405.5", "2005-01-02", " 2005"}) {
    EXPECT_FALSE(IsDtm(v)) << v;
  }
}

TEST(DtmTest, NormalizeDtm) {
  EXPECT_EQ(NormalizeDtm("2005"), "20050101000000");
  EXPECT_EQ(NormalizeDtm("200507"), "20050701000000");
  EXPECT_EQ(NormalizeDtm("20050708"), "20050708000000");
  EXPECT_EQ(NormalizeDtm("2005070809"), "20050708090000");
  EXPECT_EQ(NormalizeDtm("20050708091011"), "20050708091011");
  EXPECT_EQ(NormalizeDtm("20051301"), "");
  EXPECT_EQ(NormalizeDtm("abc"), "");
  EXPECT_EQ(NormalizeDtm(""), "");
  EXPECT_EQ(NormalizeDtm("200501020304050"), "");
}

}  // namespace
}  // namespace xds
