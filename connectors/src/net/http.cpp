#include "oms/connectors/net/http.hpp"

#include <algorithm>
#include <cctype>

namespace oms::net {

const std::string* HttpResponse::header(std::string_view name) const noexcept {
  const auto same = [name](const Header& h) {
    return h.first.size() == name.size() &&
           std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  };
  const auto it = std::find_if(headers.begin(), headers.end(), same);
  return it == headers.end() ? nullptr : &it->second;
}

}  // namespace oms::net
