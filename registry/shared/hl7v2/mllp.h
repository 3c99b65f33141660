// The Minimal Lower Layer Protocol (HL7 v2 over TCP, ITI TF-2 Appendix C): every message
// travels as <VT> message <FS><CR> (0x0B ... 0x1C 0x0D). The framer takes the bytes of a
// connection as they arrive and hands out complete messages. It is strict: anything
// between frames but the start byte, an <FS> not followed by <CR>, or a frame beyond the
// size limit is a protocol error, after which the connection is to be closed (the stream
// can no longer be trusted to be in step with the sender).
#ifndef XDS_REGISTRY_SHARED_HL7V2_MLLP_H_
#define XDS_REGISTRY_SHARED_HL7V2_MLLP_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xds::hl7v2 {

inline constexpr char kStartBlock = 0x0B;
inline constexpr char kEndBlock = 0x1C;
inline constexpr char kCarriageReturn = 0x0D;

class MllpFramer {
 public:
  enum class State { kBetweenFrames, kInFrame, kAfterEndBlock, kError };

  explicit MllpFramer(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Consumes `bytes`, appending each message completed by them to *frames. Returns false
  // (and stays failed) on a protocol error; error() says which.
  bool Feed(std::string_view bytes, std::vector<std::string>* frames);

  State state() const { return state_; }
  bool in_frame() const { return state_ == State::kInFrame || state_ == State::kAfterEndBlock; }
  const std::string& error() const { return error_; }
  // Bytes held for the frame under way.
  size_t buffered() const { return current_.size(); }

 private:
  bool Fail(std::string why);

  size_t max_frame_bytes_;
  State state_ = State::kBetweenFrames;
  std::string current_;
  std::string error_;
};

// `message` as one MLLP frame.
std::string Frame(std::string_view message);

}  // namespace xds::hl7v2

#endif  // XDS_REGISTRY_SHARED_HL7V2_MLLP_H_
