#include <stdexcept>

#include "oms/connectors/net/https_client.hpp"

namespace oms::net {

HttpsPool::Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), client_(other.client_) {
  other.pool_ = nullptr;
  other.client_ = nullptr;
}

HttpsPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(client_);
}

HttpsPool::HttpsPool(Origin origin, const TlsClientConfig& tls, std::size_t size) {
  if (size == 0) throw std::invalid_argument("HttpsPool: size must be >= 1");
  clients_.reserve(size);
  for (std::size_t i = 0; i < size; ++i) {
    clients_.push_back(std::make_unique<HttpsClient>(origin, tls));
    free_.push_back(clients_.back().get());
  }
}

HttpsPool::~HttpsPool() = default;

std::optional<HttpsPool::Lease> HttpsPool::try_lease() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return std::nullopt;
  HttpsClient* c = free_.back();
  free_.pop_back();
  return Lease(this, c);
}

std::optional<HttpsPool::Lease> HttpsPool::lease(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, wait, [this] { return !free_.empty(); })) return std::nullopt;
  HttpsClient* c = free_.back();
  free_.pop_back();
  return Lease(this, c);
}

std::size_t HttpsPool::available() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

void HttpsPool::give_back(HttpsClient* client) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(client);
  }
  freed_.notify_one();
}

}  // namespace oms::net
