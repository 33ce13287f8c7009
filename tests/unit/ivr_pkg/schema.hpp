#pragma once
// mscivr.xsd (with framework.xsd) loaded once for the tests, as the oracle for what the
// codec writes. nullptr when ../shared/spec is absent; a schema that exists but does not
// load fails the calling test.

#include "proto/xml/schema_set.hpp"

namespace parley::proto::ivr {

const xml::SchemaSet* ivrSchema();

}  // namespace parley::proto::ivr
