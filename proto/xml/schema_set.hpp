#pragma once
// Schema validation with Xerces-C, for tests: the RFC schemas are an oracle for what
// Parley writes. Production code never validates against schemas (the package codecs
// check the RFC rules themselves, including the ones no schema can express).
//
// Imports and includes are resolved among the loaded sources by file name, never from the
// network; the W3C xml.xsd (imported by mscivr.xsd and conference-info.xsd) resolves to a
// source named xml-stub.xsd when one is loaded (../shared/spec/xsd has it).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace parley::proto::xml {

struct SchemaSource {
    std::string name;  // file name, used to resolve imports ("framework.xsd")
    std::string text;  // the schema document
};

class SchemaSet {
public:
    // Loads schema files; xml-stub.xsd is picked up from the first file's folder if present.
    static common::Result<SchemaSet> load(const std::vector<std::filesystem::path>& files);
    // Loads schemas given as text (e.g. a patched copy); all sources can be imported by name.
    static common::Result<SchemaSet> loadSources(std::vector<SchemaSource> sources);

    SchemaSet(SchemaSet&&) noexcept;
    SchemaSet& operator=(SchemaSet&&) noexcept;
    ~SchemaSet();

    // Validates a whole document against the loaded grammars (error reason names line:col).
    common::Status validate(std::string_view document) const;

private:
    struct Impl;
    explicit SchemaSet(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace parley::proto::xml
