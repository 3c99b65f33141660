#include "registry/shared/hl7v2/hl7v2.h"

#include <atomic>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace xds::hl7v2 {
namespace {

// This Abseil's string_view is not std::string_view.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view View(absl::string_view s) { return std::string_view(s.data(), s.size()); }

bool IsSegmentIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// A delimiter must be printable punctuation, and no two may be the same.
bool UsableDelimiter(char c) { return c > ' ' && c < 0x7f && !absl::ascii_isalnum(static_cast<unsigned char>(c)); }

std::string_view Nth(std::string_view text, char separator, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t next = text.find(separator, start);
    if (next == std::string_view::npos) return std::string_view();
    start = next + 1;
  }
  size_t end = text.find(separator, start);
  return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

}  // namespace

const Segment* Message::Find(std::string_view id) const {
  for (const Segment& segment : segments_) {
    if (segment.id() == id) return &segment;
  }
  return nullptr;
}

std::vector<std::string_view> Message::Repetitions(std::string_view field) const {
  std::vector<std::string_view> out;
  if (field.empty()) return out;
  for (absl::string_view part : absl::StrSplit(View(field), delimiters_.repetition)) out.push_back(View(part));
  return out;
}

std::string Message::Value(std::string_view field, size_t rep, size_t comp, size_t sub) const {
  if (comp == 0 || sub == 0) return "";
  std::string_view v = Nth(field, delimiters_.repetition, rep);
  v = Nth(v, delimiters_.component, comp - 1);
  v = Nth(v, delimiters_.subcomponent, sub - 1);
  return Unescape(v);
}

std::string Message::Unescape(std::string_view encoded) const {
  std::string out;
  out.reserve(encoded.size());
  const char esc = delimiters_.escape;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != esc) {
      out += encoded[i];
      continue;
    }
    size_t end = encoded.find(esc, i + 1);
    if (end == std::string_view::npos) {  // unterminated: literal, as receivers commonly do
      out.append(encoded.substr(i));
      break;
    }
    std::string_view code = encoded.substr(i + 1, end - i - 1);
    if (code == "F") out += delimiters_.field;
    if (code == "S") out += delimiters_.component;
    if (code == "T") out += delimiters_.subcomponent;
    if (code == "R") out += delimiters_.repetition;
    if (code == "E") out += delimiters_.escape;
    i = end;
  }
  return out;
}

std::string Message::Escape(std::string_view value) const {
  std::string out;
  out.reserve(value.size());
  const Delimiters& d = delimiters_;
  for (char c : value) {
    const char* code = c == d.field          ? "F"
                       : c == d.component    ? "S"
                       : c == d.subcomponent ? "T"
                       : c == d.repetition   ? "R"
                       : c == d.escape       ? "E"
                                             : nullptr;
    if (code == nullptr) {
      // CR/LF would end the segment: an identifier never holds them.
      if (c != '\r' && c != '\n') out += c;
      continue;
    }
    absl::StrAppend(&out, std::string(1, d.escape), code, std::string(1, d.escape));
  }
  return out;
}

std::string Message::MessageType() const {
  const Segment* msh = Find("MSH");
  return msh == nullptr ? "" : Value(msh->Field(9), 0, 1);
}
std::string Message::TriggerEvent() const {
  const Segment* msh = Find("MSH");
  return msh == nullptr ? "" : Value(msh->Field(9), 0, 2);
}
std::string Message::ControlId() const {
  const Segment* msh = Find("MSH");
  return msh == nullptr ? "" : Value(msh->Field(10));
}
std::string Message::Version() const {
  const Segment* msh = Find("MSH");
  return msh == nullptr ? "" : Value(msh->Field(12));
}

absl::StatusOr<Message> Parse(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_message_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the message exceeds ", limits.max_message_bytes, " bytes"));
  }
  if (text.size() < 8 || text.substr(0, 3) != "MSH") {
    return absl::InvalidArgumentError("the message does not start with an MSH segment");
  }
  Message message;
  Delimiters& d = message.delimiters_;
  d.field = text[3];
  size_t msh2_end = text.find(d.field, 4);
  std::string_view msh2 = text.substr(4, msh2_end == std::string_view::npos ? std::string_view::npos : msh2_end - 4);
  // MSH-2: component, repetition, escape, subcomponent (v2.7 adds a truncation character).
  if (msh2_end == std::string_view::npos || msh2.size() < 4 || msh2.size() > 5) {
    return absl::InvalidArgumentError("MSH-2 must hold the four encoding characters");
  }
  d.component = msh2[0];
  d.repetition = msh2[1];
  d.escape = msh2[2];
  d.subcomponent = msh2[3];
  const std::string all = {d.field, d.component, d.repetition, d.escape, d.subcomponent};
  for (size_t i = 0; i < all.size(); ++i) {
    if (!UsableDelimiter(all[i]) || all.find(all[i], i + 1) != std::string::npos) {
      return absl::InvalidArgumentError("MSH-1 and MSH-2 must be five distinct punctuation characters");
    }
  }

  for (absl::string_view split_line : absl::StrSplit(View(text), absl::ByAnyChar("\r\n"), absl::SkipEmpty())) {
    std::string_view line = View(split_line);
    if (message.segments_.size() >= limits.max_segments) {
      return absl::InvalidArgumentError(absl::StrCat("the message has more than ", limits.max_segments, " segments"));
    }
    if (line.size() < 3 || !IsSegmentIdChar(line[0]) || !IsSegmentIdChar(line[1]) || !IsSegmentIdChar(line[2]) ||
        (line.size() > 3 && line[3] != d.field)) {
      return absl::InvalidArgumentError(
          absl::StrCat("segment ", message.segments_.size() + 1, " does not start with a segment id"));
    }
    Segment segment;
    const bool msh = line.substr(0, 3) == "MSH";
    if (msh != message.segments_.empty()) {
      return absl::InvalidArgumentError("MSH must be the first segment and only the first");
    }
    segment.fields.emplace_back(line.substr(0, 3));
    std::string_view rest = line.size() > 4 ? line.substr(4) : std::string_view();
    if (msh) segment.fields.emplace_back(1, d.field);  // MSH-1 is the separator itself
    if (line.size() > 3) {
      for (absl::string_view field : absl::StrSplit(View(rest), d.field)) {
        if (segment.fields.size() >= limits.max_fields_per_segment) {
          return absl::InvalidArgumentError(
              absl::StrCat("segment ", segment.fields[0], " has more than ", limits.max_fields_per_segment, " fields"));
        }
        segment.fields.emplace_back(View(field));
      }
    }
    message.segments_.push_back(std::move(segment));
  }
  return message;
}

std::string MakeAck(const Message* original, std::string_view ack_code, const AckError& error,
                    std::string_view receiving_application, std::string_view message_time,
                    std::string_view control_id_fallback) {
  const std::string code(ack_code), time(message_time);
  static std::atomic<uint64_t> sequence{0};
  Message plain;  // the ACK's own delimiters: the standard ones
  const Segment* msh = original == nullptr ? nullptr : original->Find("MSH");
  // Values from the original, decoded with its delimiters and encoded again with ours.
  auto copy = [&](size_t field, size_t comp = 1) {
    return msh == nullptr ? std::string() : plain.Escape(original->Value(msh->Field(field), 0, comp));
  };
  auto hd = [&](size_t field) {  // HD: namespace^universal id^type
    std::string out = copy(field, 1);
    std::string universal = copy(field, 2), type = copy(field, 3);
    if (!universal.empty() || !type.empty()) absl::StrAppend(&out, "^", universal, "^", type);
    return out;
  };
  std::string version = original == nullptr ? "" : plain.Escape(original->Version());
  if (version.empty()) version = "2.5";
  std::string trigger = original == nullptr ? "" : plain.Escape(original->TriggerEvent());
  std::string control_id =
      original == nullptr ? plain.Escape(control_id_fallback) : plain.Escape(original->ControlId());
  std::string processing = copy(11);
  if (processing.empty()) processing = "P";
  const bool v25 = version >= "2.5";
  std::string ack = absl::StrCat("MSH|^~\\&|", plain.Escape(receiving_application), "|", hd(6), "|", hd(3), "|", hd(4),
                                 "|", time, "||ACK^", trigger, v25 ? "^ACK" : "", "|", time, sequence.fetch_add(1), "|",
                                 processing, "|", version, "\r");
  absl::StrAppend(&ack, "MSA|", code, "|", control_id);
  if (!error.code.empty() && !v25) absl::StrAppend(&ack, "|", plain.Escape(error.text));
  ack += '\r';
  if (!error.code.empty()) {
    std::string location = error.segment.empty() ? "" : absl::StrCat(error.segment, "^1");
    if (!location.empty() && error.field > 0) absl::StrAppend(&location, "^", error.field);
    const char* severity = ack_code == std::string_view(kAccept) ? "W" : "E";
    if (v25) {
      absl::StrAppend(&ack, "ERR||", location, "|", error.code, "^^HL70357|", severity, "||||",
                      plain.Escape(error.text), "\r");
    } else {
      // ELD: segment id ^ sequence ^ field position ^ code (CE in subcomponents).
      absl::StrAppend(&ack, "ERR|", error.segment, "^", error.segment.empty() ? "" : "1", "^",
                      error.field > 0 ? absl::StrCat(error.field) : "", "^", error.code, "&", plain.Escape(error.text),
                      "&HL70357\r");
    }
  }
  return ack;
}

}  // namespace xds::hl7v2
