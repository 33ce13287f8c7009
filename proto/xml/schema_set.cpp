#include "proto/xml/schema_set.hpp"

#include <fstream>
#include <mutex>
#include <sstream>

#include <xercesc/framework/MemBufInputSource.hpp>
#include <xercesc/framework/XMLGrammarPoolImpl.hpp>
#include <xercesc/parsers/XercesDOMParser.hpp>
#include <xercesc/sax/EntityResolver.hpp>
#include <xercesc/sax/ErrorHandler.hpp>
#include <xercesc/sax/SAXParseException.hpp>
#include <xercesc/validators/common/Grammar.hpp>

#include "proto/xml/xerces_env.hpp"

namespace parley::proto::xml {

using namespace xercesc;
using detail::toUtf8;

namespace {

std::string baseName(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

class Collector : public ErrorHandler {
public:
    void warning(const SAXParseException&) override {}
    void error(const SAXParseException& e) override { add(e); }
    void fatalError(const SAXParseException& e) override { add(e); }
    void resetErrors() override { errors.clear(); }
    std::string errors;

private:
    void add(const SAXParseException& e) {
        std::ostringstream os;
        os << baseName(toUtf8(e.getSystemId())) << ":" << e.getLineNumber() << ":"
           << e.getColumnNumber() << ": " << toUtf8(e.getMessage());
        if (!errors.empty()) errors += "; ";
        errors += os.str();
    }
};

}  // namespace

struct SchemaSet::Impl : public EntityResolver {
    std::vector<SchemaSource> sources;
    std::unique_ptr<XMLGrammarPool> pool;
    std::unique_ptr<XercesDOMParser> parser;
    mutable Collector collector;
    mutable std::mutex mutex;  // XercesDOMParser is not reentrant

    const SchemaSource* find(const std::string& systemId) const {
        std::string name = baseName(systemId);
        for (const auto& s : sources)
            if (s.name == name) return &s;
        if (name == "xml.xsd") {
            for (const auto& s : sources)
                if (s.name == "xml-stub.xsd") return &s;
        }
        return nullptr;
    }

    InputSource* resolveEntity(const XMLCh* const, const XMLCh* const systemId) override {
        const SchemaSource* s = find(toUtf8(systemId));
        if (!s) {
            // Never fetch: an unknown import resolves to nothing and fails the load loudly.
            static const char kEmpty[] = "<!-- unresolved -->";
            return new MemBufInputSource(reinterpret_cast<const XMLByte*>(kEmpty), sizeof kEmpty - 1,
                                         systemId, false);
        }
        auto* in = new MemBufInputSource(reinterpret_cast<const XMLByte*>(s->text.data()),
                                         s->text.size(), systemId, false);
        return in;
    }
};

SchemaSet::SchemaSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;
SchemaSet::~SchemaSet() = default;

common::Result<SchemaSet> SchemaSet::load(const std::vector<std::filesystem::path>& files) {
    std::vector<SchemaSource> sources;
    auto readAll = [](const std::filesystem::path& p, std::string& out) {
        std::ifstream in(p, std::ios::binary);
        if (!in) return false;
        std::ostringstream ss;
        ss << in.rdbuf();
        out = ss.str();
        return true;
    };
    for (const auto& f : files) {
        SchemaSource s{f.filename().string(), {}};
        if (!readAll(f, s.text)) return common::Error(0, "cannot read schema " + f.string());
        sources.push_back(std::move(s));
    }
    if (!files.empty()) {
        auto stub = files.front().parent_path() / "xml-stub.xsd";
        bool have = false;
        for (const auto& s : sources) have = have || s.name == "xml-stub.xsd";
        SchemaSource s{"xml-stub.xsd", {}};
        if (!have && readAll(stub, s.text)) sources.push_back(std::move(s));
    }
    return loadSources(std::move(sources));
}

common::Result<SchemaSet> SchemaSet::loadSources(std::vector<SchemaSource> sources) {
    detail::ensureXerces();
    auto impl = std::make_unique<Impl>();
    impl->sources = std::move(sources);
    impl->pool = std::make_unique<XMLGrammarPoolImpl>(XMLPlatformUtils::fgMemoryManager);
    impl->parser = std::make_unique<XercesDOMParser>(nullptr, XMLPlatformUtils::fgMemoryManager,
                                                     impl->pool.get());
    auto& p = *impl->parser;
    p.setDoNamespaces(true);
    p.setDoSchema(true);
    p.setValidationScheme(XercesDOMParser::Val_Always);
    p.setValidationSchemaFullChecking(true);
    p.setHandleMultipleImports(true);
    p.setLoadExternalDTD(false);
    p.setEntityResolver(impl.get());
    p.setErrorHandler(&impl->collector);
    p.cacheGrammarFromParse(true);
    p.useCachedGrammarInParse(true);

    for (const auto& s : impl->sources) {
        if (s.name == "xml-stub.xsd") continue;  // loaded through the imports that need it
        impl->collector.errors.clear();
        MemBufInputSource in(reinterpret_cast<const XMLByte*>(s.text.data()), s.text.size(),
                             s.name.c_str(), false);
        Grammar* g = nullptr;
        try {
            g = p.loadGrammar(in, Grammar::SchemaGrammarType, true);
        } catch (...) {
            return common::Error(0, "schema " + s.name + " failed to load");
        }
        if (!g || !impl->collector.errors.empty())
            return common::Error(0, "schema " + s.name + ": " + impl->collector.errors);
    }
    return SchemaSet(std::move(impl));
}

common::Status SchemaSet::validate(std::string_view document) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->collector.errors.clear();
    MemBufInputSource in(reinterpret_cast<const XMLByte*>(document.data()), document.size(),
                         "document", false);
    try {
        impl_->parser->parse(in);
    } catch (...) {
        return common::Error(400, "document failed to parse");
    }
    impl_->parser->resetDocumentPool();
    if (!impl_->collector.errors.empty()) return common::Error(400, impl_->collector.errors);
    return {};
}

}  // namespace parley::proto::xml
