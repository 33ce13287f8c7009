// parley-ms: wiring only. Flags and config -> logging -> MediaServer (SIP, CFW, HTTP on one
// loop) -> run until SIGTERM/SIGINT -> exit 0. Bad flags or config: message, usage, exit 2.

#include "common/termination_signals.hpp"

#include <iostream>

#include "common/config.hpp"
#include "common/log.hpp"
#include "ms/media_server.hpp"
#include "ms/ms_settings.hpp"

namespace {

constexpr const char* kProgram = "parley-ms";
constexpr const char* kVersion = "0.1.0";
constexpr const char* kSummary =
    "Parley Media Server: control channels (RFC 6230) with the msc-mixer/1.0 and msc-ivr/1.0 "
    "packages, set up over SIP.";

}  // namespace

int main(int argc, char** argv) {
    using namespace parley;

    // Before any thread exists, so that every thread inherits the mask: the signals are read
    // from a signalfd on the loop.
    common::blockTerminationSignals();

    int exitCode = 0;
    auto config = common::parseCommandLine(kProgram, kVersion, kSummary, ms::msOptionSpecs(), argc,
                                           argv, exitCode);
    if (!config) return exitCode;
    auto settings = ms::msSettingsFrom(*config);
    if (!settings) {
        std::cerr << kProgram << ": " << settings.error().message << "\n\n" << config->usage();
        return 2;
    }
    common::setupLogging(settings->logLevel);

    try {
        auto server = ms::MediaServer::create(*settings);
        if (!server) {
            std::cerr << kProgram << ": " << server.error().message << "\n";
            return 1;
        }
        return (*server)->run();
    } catch (const std::exception& e) {
        std::cerr << kProgram << ": fatal: " << e.what() << "\n";
        return 1;
    }
}
