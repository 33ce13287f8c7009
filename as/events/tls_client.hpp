#pragma once
// The TLS client context of parley-as's outgoing HTTPS (event webhooks, scripted-call
// webhooks).
//
// Contract:
// - tlsClientContext(caFile, verifyPeer) returns a shared Poco context for that pair,
//   made once (thread-safe) and kept for the process's life.
// - verifyPeer: the receiver's certificate chain must verify and must name the host of the
//   URL (Poco VERIFY_RELAXED: chain and host checked, as curl does); false: no check at all
//   (for tests and closed networks only; a warning is logged once).
// - The system's CA store is always loaded; caFile (a PEM file of trusted CA certificates,
//   `--webhook-ca`) adds to it, for receivers behind a private CA or a self-signed
//   certificate. An unreadable caFile is reported when the context is made: every HTTPS
//   request then fails with that reason, nothing falls back to "no check".

#include <string>

#include <Poco/Net/Context.h>

namespace parley::as {

Poco::Net::Context::Ptr tlsClientContext(const std::string& caFile, bool verifyPeer = true);

}  // namespace parley::as
