#include "as/events/tls_client.hpp"

#include <map>
#include <mutex>
#include <utility>

#include <Poco/Net/SSLManager.h>

#include "common/log.hpp"

namespace parley::as {

Poco::Net::Context::Ptr tlsClientContext(const std::string& caFile, bool verifyPeer) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, bool>, Poco::Net::Context::Ptr> contexts;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = contexts.find({caFile, verifyPeer});
    if (it != contexts.end()) return it->second;
    static const bool initialised = [] {
        Poco::Net::initializeSSL();
        return true;
    }();
    (void)initialised;
    if (!verifyPeer)
        PARLEY_LOG_WARN(common::logger("webhook"),
                        "HTTPS receivers' certificates are not checked (verification off)");
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(
            Poco::Net::Context::TLS_CLIENT_USE, "", "", caFile,
            verifyPeer ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE, 9,
            true /* the system's CAs too */);
    } catch (const Poco::Exception& e) {
        // An unreadable CA file: a context that trusts nothing, so every request fails and
        // says why in its own log line; never one that checks nothing.
        PARLEY_LOG_ERROR(common::logger("webhook"),
                         "TLS CA file " << caFile << ": " << e.displayText()
                                        << "; HTTPS webhooks will fail");
        context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                         Poco::Net::Context::VERIFY_STRICT, 9, false);
    }
    contexts.emplace(std::make_pair(caFile, verifyPeer), context);
    return context;
}

}  // namespace parley::as
