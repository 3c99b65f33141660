// What the asynchronous servers (HTTP, MLLP) share around their connections: the listening
// socket, the peer's printable address, and the table of open sessions that limits them and
// closes them all at shutdown.
#ifndef XDS_REGISTRY_SHARED_NET_SESSION_TABLE_H_
#define XDS_REGISTRY_SHARED_NET_SESSION_TABLE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace xds::net {

// Opens `acceptor` on address:port (SO_REUSEADDR, backlog 1024). The error names `what`.
inline absl::Status Listen(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address, int port,
                           std::string_view what) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address, ec), port);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad ", std::string(what), " listen address ", address));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(1024, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for ", std::string(what), " on ", address, ":", port, ": ", ec.message()));
  }
  return absl::OkStatus();
}

// "ip:port", or "[ip]:port" for IPv6.
inline std::string PeerAddress(const boost::asio::ip::tcp::endpoint& remote) {
  std::string ip = remote.address().to_string();
  return remote.address().is_v6() ? absl::StrCat("[", ip, "]:", remote.port()) : absl::StrCat(ip, ":", remote.port());
}

// The open sessions of a server. `Session` needs executor() and Close(); it calls Forget from
// its destructor.
template <class Session>
class SessionTable {
 public:
  enum class Added { kAdded, kFull, kStopping };

  // Makes and registers a session unless the server is stopping or `limit` are open.
  template <class Make>
  Added Add(int limit, const std::atomic<bool>& stopping, Make make, std::shared_ptr<Session>* session) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping) return Added::kStopping;
    if (static_cast<int>(sessions_.size()) >= limit) return Added::kFull;
    *session = make();
    sessions_.emplace(session->get(), *session);
    return Added::kAdded;
  }

  void Forget(Session* session) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(session);
  }

  // Posts a Close to every open session on its own executor. The sessions are taken out
  // under the lock and released outside it: the last reference to one may be ours, and its
  // destructor takes the lock to forget itself.
  void CloseAll() {
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [raw, weak] : sessions_) {
        if (auto session = weak.lock()) open.push_back(std::move(session));
      }
    }
    for (auto& session : open) boost::asio::post(session->executor(), [session] { session->Close(); });
  }

 private:
  std::mutex mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by mu_
};

}  // namespace xds::net

#endif  // XDS_REGISTRY_SHARED_NET_SESSION_TABLE_H_
