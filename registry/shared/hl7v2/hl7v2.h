// HL7 v2.x messages in their ER7 ("pipe and hat") encoding, as far as the patient identity
// feed (ITI-8) needs them: segments, fields, repetitions, components and subcomponents,
// the MSH-2 encoding characters and their escape sequences, and the original-mode ACK.
// Input is untrusted: Parse never reads outside its argument, and Limits bound what one
// message may allocate (segments, fields, total size), so a hostile message costs at most
// a few times its own size.
#ifndef XDS_REGISTRY_SHARED_HL7V2_HL7V2_H_
#define XDS_REGISTRY_SHARED_HL7V2_HL7V2_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace xds::hl7v2 {

// MSH-1 and MSH-2: the separators this message uses.
struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

struct Limits {
  size_t max_message_bytes = 1 << 20;
  size_t max_segments = 1000;
  size_t max_fields_per_segment = 256;
};

// One segment: its id ("MSH", "PID") and its fields, still encoded. fields[0] is the id;
// for MSH, fields[1] is MSH-1 (the field separator) and fields[2] MSH-2, so that
// fields[n] is always SEG-n.
struct Segment {
  std::vector<std::string> fields;
  std::string_view id() const { return fields.empty() ? std::string_view() : fields[0]; }
  // SEG-n still encoded; "" when absent.
  std::string_view Field(size_t n) const { return n < fields.size() ? std::string_view(fields[n]) : ""; }
};

class Message {
 public:
  const Delimiters& delimiters() const { return delimiters_; }
  const std::vector<Segment>& segments() const { return segments_; }
  // The first segment with this id, or null.
  const Segment* Find(std::string_view id) const;

  // A field's value split and unescaped: repetition `rep` (0-based), component `comp` and
  // subcomponent `sub` (1-based, as HL7 counts them). "" when absent.
  std::string Value(std::string_view field, size_t rep = 0, size_t comp = 1, size_t sub = 1) const;
  // The repetitions of an encoded field, still encoded.
  std::vector<std::string_view> Repetitions(std::string_view field) const;

  // MSH-9 parts, MSH-10 and MSH-12 (the version id), unescaped.
  std::string MessageType() const;   // MSH-9.1: "ADT"
  std::string TriggerEvent() const;  // MSH-9.2: "A01"
  std::string ControlId() const;     // MSH-10
  std::string Version() const;       // MSH-12.1: "2.3.1", "2.5"

  // Unescapes \F\ \S\ \T\ \R\ \E\ (and drops other escapes, such as formatting and \Xhh\,
  // which an identifier never needs).
  std::string Unescape(std::string_view encoded) const;
  // The reverse, for values put into an ACK.
  std::string Escape(std::string_view value) const;

 private:
  friend absl::StatusOr<Message> Parse(std::string_view text, const Limits& limits);
  Delimiters delimiters_;
  std::vector<Segment> segments_;
};

// Parses an ER7 message: segments end with CR (LF and CRLF are accepted too; senders
// differ), the first one is MSH. InvalidArgument, with a message safe to return to the
// sender, when it is not a parsable message or exceeds `limits`.
absl::StatusOr<Message> Parse(std::string_view text, const Limits& limits = Limits());

// Acknowledgement codes of MSA-1 (original acknowledgement mode).
inline constexpr char kAccept[] = "AA";
inline constexpr char kError[] = "AE";
inline constexpr char kReject[] = "AR";

// HL7 table 0357 error codes, as ERR carries them.
inline constexpr char kErrSegmentSequence[] = "100";
inline constexpr char kErrRequiredFieldMissing[] = "101";
inline constexpr char kErrDataType[] = "102";
inline constexpr char kErrUnsupportedMessageType[] = "200";
inline constexpr char kErrUnsupportedEventCode[] = "201";
inline constexpr char kErrUnsupportedVersion[] = "203";
inline constexpr char kErrUnknownKey[] = "204";
inline constexpr char kErrApplicationInternal[] = "207";

struct AckError {
  std::string code;     // table 0357
  std::string text;     // for the sender
  std::string segment;  // where: "PID", "MRG" (empty: not located)
  int field = 0;        // SEG-n, 0 = not located
};

// The ACK to `original` (or, when it could not be parsed, to what is known: null original
// and the sender's control id if it could be read). MSH-3/4 and MSH-5/6 are swapped from
// the original; MSA-2 is its MSH-10. An ERR segment is added when `error` has a code: in
// the v2.5 layout (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 text) for v2.5+
// messages, in the v2.3.1 layout (ERR-1 ELD) otherwise.
std::string MakeAck(const Message* original, std::string_view ack_code, const AckError& error,
                    std::string_view receiving_application, std::string_view message_time,
                    std::string_view control_id_fallback = "");

}  // namespace xds::hl7v2

#endif  // XDS_REGISTRY_SHARED_HL7V2_HL7V2_H_
