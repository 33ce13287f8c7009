#include "tests/unit/ivr_pkg/schema.hpp"

#include "tests/support/spec_files.hpp"

namespace parley::proto::ivr {

const xml::SchemaSet* ivrSchema() {
    // Never destroyed on purpose: Xerces-C is terminated by an atexit handler that may run
    // before a static's destructor would, and a grammar freed after that crashes.
    static const xml::SchemaSet* schema = nullptr;
    static bool tried = false;
    if (!tried) {
        tried = true;
        if (auto dir = parley::test::specDir()) {
            auto set =
                xml::SchemaSet::load({*dir / "xsd" / "framework.xsd", *dir / "xsd" / "mscivr.xsd"});
            if (set.ok())
                schema = new xml::SchemaSet(std::move(set.value()));
            else
                FAIL("mscivr.xsd does not load: " << set.error().message);
        }
    }
    return schema;
}

}  // namespace parley::proto::ivr
