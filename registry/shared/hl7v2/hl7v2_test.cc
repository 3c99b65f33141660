#include "registry/shared/hl7v2/hl7v2.h"

#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "registry/shared/hl7v2/mllp.h"

namespace xds::hl7v2 {
namespace {

constexpr char kA01[] =
    "MSH|^~\\&|PAT_IDENTITY_X_REF_MGR_MISYS|ALLSCRIPTS|REGISTRY|XDS|20261207093000||ADT^A01^ADT_A01|MSG-1|P|2.3.1\r"
    "EVN||20261207093000\r"
    "PID|||P-1^^^&1.2.3&ISO~LOCAL-9^^^OTHER&9.9.9&ISO||DOE^JANE||19800101|F\r"
    "PV1||I\r";

TEST(Hl7v2Test, ParsesHeaderAndFields) {
  auto m = Parse(kA01);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->MessageType(), "ADT");
  EXPECT_EQ(m->TriggerEvent(), "A01");
  EXPECT_EQ(m->ControlId(), "MSG-1");
  EXPECT_EQ(m->Version(), "2.3.1");
  ASSERT_EQ(m->segments().size(), 4u);
  const Segment* pid = m->Find("PID");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(m->Repetitions(pid->Field(3)).size(), 2u);
  EXPECT_EQ(m->Value(pid->Field(3), 0, 1), "P-1");
  EXPECT_EQ(m->Value(pid->Field(3), 0, 4, 2), "1.2.3");
  EXPECT_EQ(m->Value(pid->Field(3), 1, 4, 1), "OTHER");
  EXPECT_EQ(m->Value(pid->Field(3), 2, 1), "");
  EXPECT_EQ(m->Value(pid->Field(99)), "");
}

TEST(Hl7v2Test, OtherDelimitersAndEscapes) {
  auto m = Parse("MSH#*@!$#A#B#C#D#20260101##ADT*A08#X!F!Y#P#2.5\nPID###a!S!b!T!c!E!d!R!*z\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->ControlId(), "X#Y");
  EXPECT_EQ(m->TriggerEvent(), "A08");
  EXPECT_EQ(m->Value(m->Find("PID")->Field(3)), "a*b$c!d@");
  EXPECT_EQ(m->Escape("a*b"), "a!S!b");
}

TEST(Hl7v2Test, RejectsWhatIsNotAMessage) {
  EXPECT_FALSE(Parse("").ok());
  EXPECT_FALSE(Parse("PID|||1\r").ok());
  EXPECT_FALSE(Parse("MSH|^~\r").ok());              // MSH-2 incomplete
  EXPECT_FALSE(Parse("MSH|^^\\&|A\r").ok());         // repeated delimiter
  EXPECT_FALSE(Parse("MSH|^~\\&|A\rpid|1\r").ok());  // not a segment id
  EXPECT_FALSE(Parse("MSH|^~\\&|A\rMSH|^~\\&|B\r").ok());
  Limits limits;
  limits.max_segments = 2;
  EXPECT_FALSE(Parse("MSH|^~\\&|A\rEVN|\rPID|\r", limits).ok());
  limits = Limits();
  limits.max_fields_per_segment = 4;
  EXPECT_FALSE(Parse("MSH|^~\\&|A\rPID|1|2|3|4|5\r", limits).ok());
  limits = Limits();
  limits.max_message_bytes = 10;
  EXPECT_FALSE(Parse(kA01, limits).ok());
}

TEST(Hl7v2Test, AckEchoesControlIdAndSwapsApplications) {
  auto m = Parse(kA01);
  ASSERT_TRUE(m.ok());
  std::string ack = MakeAck(&*m, kAccept, {}, "XDS_REGISTRY", "20261207093001");
  auto parsed = Parse(ack);
  ASSERT_TRUE(parsed.ok()) << ack;
  const Segment* msh = parsed->Find("MSH");
  EXPECT_EQ(parsed->Value(msh->Field(3)), "XDS_REGISTRY");
  EXPECT_EQ(parsed->Value(msh->Field(5)), "PAT_IDENTITY_X_REF_MGR_MISYS");
  EXPECT_EQ(parsed->Value(msh->Field(6)), "ALLSCRIPTS");
  EXPECT_EQ(parsed->MessageType(), "ACK");
  EXPECT_EQ(parsed->TriggerEvent(), "A01");
  EXPECT_EQ(parsed->Version(), "2.3.1");
  const Segment* msa = parsed->Find("MSA");
  ASSERT_NE(msa, nullptr);
  EXPECT_EQ(parsed->Value(msa->Field(1)), "AA");
  EXPECT_EQ(parsed->Value(msa->Field(2)), "MSG-1");
  EXPECT_EQ(parsed->Find("ERR"), nullptr);
}

TEST(Hl7v2Test, AckErrorLayoutFollowsTheVersion) {
  auto v231 = Parse(kA01);
  ASSERT_TRUE(v231.ok());
  AckError error{kErrUnknownKey, "not of the domain & co", "PID", 3};
  auto ack = Parse(MakeAck(&*v231, kError, error, "R", "20260101"));
  ASSERT_TRUE(ack.ok());
  const Segment* err = ack->Find("ERR");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(ack->Value(err->Field(1), 0, 1), "PID");
  EXPECT_EQ(ack->Value(err->Field(1), 0, 3), "3");
  EXPECT_EQ(ack->Value(err->Field(1), 0, 4, 1), "204");
  EXPECT_EQ(ack->Value(err->Field(1), 0, 4, 2), "not of the domain & co");

  std::string v25_text = kA01;
  v25_text.replace(v25_text.find("2.3.1"), 5, "2.5");
  auto v25 = Parse(v25_text);
  ASSERT_TRUE(v25.ok());
  ack = Parse(MakeAck(&*v25, kReject, {kErrUnsupportedEventCode, "no", "", 0}, "R", "20260101"));
  ASSERT_TRUE(ack.ok());
  err = ack->Find("ERR");
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(ack->Value(err->Field(3), 0, 1), "201");
  EXPECT_EQ(ack->Value(err->Field(4)), "E");
  EXPECT_EQ(ack->Value(ack->Find("MSA")->Field(1)), "AR");

  // Nothing parsed: the control id the listener could salvage.
  ack = Parse(MakeAck(nullptr, kReject, {kErrSegmentSequence, "bad", "", 0}, "R", "20260101", "C-7"));
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->Value(ack->Find("MSA")->Field(2)), "C-7");
}

TEST(MllpTest, FramesAcrossChunks) {
  MllpFramer framer(100);
  std::vector<std::string> frames;
  std::string wire = Frame("MSH|one") + Frame("MSH|two");
  for (char c : wire) ASSERT_TRUE(framer.Feed(std::string_view(&c, 1), &frames));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], "MSH|one");
  EXPECT_EQ(frames[1], "MSH|two");
  EXPECT_FALSE(framer.in_frame());
  EXPECT_TRUE(framer.Feed(wire, &frames));
  EXPECT_EQ(frames.size(), 4u);
}

TEST(MllpTest, StrictFraming) {
  std::vector<std::string> frames;
  MllpFramer junk(100);
  EXPECT_FALSE(junk.Feed("MSH|x", &frames));
  EXPECT_FALSE(junk.Feed(Frame("MSH"), &frames));  // stays failed
  MllpFramer no_cr(100);
  EXPECT_FALSE(no_cr.Feed("\x0bMSH\x1cX", &frames));
  MllpFramer nested(100);
  EXPECT_FALSE(nested.Feed("\x0bMSH\x0b", &frames));
  MllpFramer big(10);
  EXPECT_TRUE(
      big.Feed("\x0b"
               "0123456789",
               &frames));
  EXPECT_FALSE(big.Feed("A", &frames));
  EXPECT_EQ(big.buffered(), 0u);
  EXPECT_TRUE(frames.empty());
}

}  // namespace
}  // namespace xds::hl7v2
