#pragma once
// Internal to proto/xml: Xerces-C process initialisation and string conversion.

#include <string>
#include <string_view>

#include <xercesc/util/XMLString.hpp>

namespace parley::proto::xml::detail {

// Initialises Xerces-C once per process (thread-safe); terminates it at exit.
void ensureXerces();

// UTF-16 (XMLCh) <-> UTF-8.
std::string toUtf8(const XMLCh* s);
std::string toUtf8(const XMLCh* s, std::size_t len);
std::u16string toXml(std::string_view utf8);

}  // namespace parley::proto::xml::detail
