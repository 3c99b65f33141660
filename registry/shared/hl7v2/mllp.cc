#include "registry/shared/hl7v2/mllp.h"

#include "absl/strings/str_cat.h"

namespace xds::hl7v2 {

bool MllpFramer::Fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  current_.clear();
  current_.shrink_to_fit();
  return false;
}

bool MllpFramer::Feed(std::string_view bytes, std::vector<std::string>* frames) {
  size_t i = 0;
  while (i < bytes.size()) {
    switch (state_) {
      case State::kError:
        return false;
      case State::kBetweenFrames:
        if (bytes[i] != kStartBlock) return Fail("data outside an MLLP frame (expected the start byte 0x0B)");
        state_ = State::kInFrame;
        ++i;
        break;
      case State::kInFrame: {
        // Copy the run up to the end byte (or the chunk's end) at once.
        size_t end = bytes.find(kEndBlock, i);
        size_t stop = end == std::string_view::npos ? bytes.size() : end;
        if (current_.size() + (stop - i) > max_frame_bytes_) {
          return Fail(absl::StrCat("MLLP frame exceeds ", max_frame_bytes_, " bytes"));
        }
        if (bytes.substr(i, stop - i).find(kStartBlock) != std::string_view::npos) {
          return Fail("start byte 0x0B inside an MLLP frame");
        }
        current_.append(bytes.substr(i, stop - i));
        i = stop;
        if (end != std::string_view::npos) {
          state_ = State::kAfterEndBlock;
          ++i;
        }
        break;
      }
      case State::kAfterEndBlock:
        if (bytes[i] != kCarriageReturn) return Fail("MLLP end byte 0x1C not followed by 0x0D");
        frames->push_back(std::move(current_));
        current_.clear();
        state_ = State::kBetweenFrames;
        ++i;
        break;
    }
  }
  return state_ != State::kError;
}

std::string Frame(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 3);
  out += kStartBlock;
  out.append(message);
  out += kEndBlock;
  out += kCarriageReturn;
  return out;
}

}  // namespace xds::hl7v2
