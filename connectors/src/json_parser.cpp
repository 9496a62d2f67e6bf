#include "oms/connectors/json_parser.hpp"

#include "json_detail.hpp"

namespace oms::venue {

JsonParser::JsonParser() : impl_(std::make_unique<Impl>()) {}
JsonParser::~JsonParser() = default;
JsonParser::JsonParser(JsonParser&&) noexcept = default;
JsonParser& JsonParser::operator=(JsonParser&&) noexcept = default;

}  // namespace oms::venue
