// parley-as: wiring only. Settings -> SIP stack (which runs the event loop) -> one
// MediaServerClient per --ms -> REST server -> run until SIGTERM/SIGINT -> BYE every
// control dialog, close the channels, exit 0.

#include <unistd.h>

#include <iostream>
#include <memory>

#include "as/apps/call_scripts.hpp"
#include "as/as_settings.hpp"
#include "as/events/event_bus.hpp"
#include "as/events/event_stream.hpp"
#include "as/events/webhook_sender.hpp"
#include "as/focus/focus.hpp"
#include "as/msclient/media_server_client.hpp"
#include "as/msclient/media_server_registry.hpp"
#include "as/rest/api_context.hpp"
#include "as/rest/calls_api.hpp"
#include "as/rest/media_servers_api.hpp"
#include "as/sip/sip_control_signalling.hpp"
#include "as/store/room_store.hpp"
#include "as/store/rooms_file.hpp"
#include "common/config.hpp"
#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "common/termination_signals.hpp"
#include "common/net.hpp"
#include "proto/sip/sip_stack.hpp"

namespace {

using namespace parley;

constexpr const char* kProgram = "parley-as";
constexpr const char* kSummary =
    "Parley Application Server: SIP conferencing signalling, control channels to parley-ms "
    "media servers (RFC 6230), REST API.";

int run(const as::AsSettings& settings) {
    Poco::Logger& log = common::logger("as");

    // SIGTERM and SIGINT arrive through a signalfd on the loop; blocked before any thread
    // (HTTP workers) exists so that every thread inherits the mask.
    common::blockTerminationSignals();

    auto store = as::RoomStore::open(settings.db);
    if (!store) {
        PARLEY_LOG_ERROR(log, "cannot open the room store " << settings.db << ": " << store.error().message);
        return 1;
    }
    if (!settings.roomsFile.empty()) {
        auto document = as::loadRoomsDocument(settings.roomsFile);
        if (!document) {
            PARLEY_LOG_ERROR(log, "--rooms " << settings.roomsFile << ": " << document.error().message);
            return 1;
        }
        const auto* rooms = &document->rooms;
        for (const auto& room : *rooms) {
            if (auto ok = (*store)->put(room); !ok) {
                PARLEY_LOG_ERROR(log, "--rooms " << settings.roomsFile << ": room " << room.name << ": "
                                                 << ok.error().message);
                return 1;
            }
        }
        for (const auto& route : document->routes) {
            if (auto ok = (*store)->putRoute(route); !ok) {
                PARLEY_LOG_ERROR(log, "--rooms " << settings.roomsFile << ": route " << route.id << ": "
                                                 << ok.error().message);
                return 1;
            }
        }
        PARLEY_LOG_NOTICE(log, "imported " << rooms->size() << " rooms and " << document->routes.size()
                                           << " routes from " << settings.roomsFile);
    }

    common::EventLoop loop;
    as::EventBus bus;
    as::MediaServerRegistry registry;
    as::FocusOptions focusOptions;
    focusOptions.factoryUser = settings.conferenceFactory;
    focusOptions.promptBase = settings.promptBase;
    focusOptions.maxCalls = settings.maxCalls;
    focusOptions.earlyMedia = settings.earlyMedia;
    as::Focus focus(loop, **store, registry, focusOptions);
    focus.setEventBus(&bus);

    proto::sip::SipConfig sipConfig;
    sipConfig.listen = settings.sipListen;
    sipConfig.user = "parley-as";
    sipConfig.allowEvents = {"conference"};
    sipConfig.sessionExpires = settings.sessionExpires;
    auto stack = proto::sip::SipStack::create(loop, sipConfig, focus);
    if (!stack) {
        PARLEY_LOG_ERROR(log, "cannot start SIP on " << settings.sipListen << ": " << stack.error().message);
        return 1;
    }
    // proto/sip logs "SIP listening on <host:port> (udp, tcp)" itself.
    focus.attach(**stack);

    as::SipControlSignalling signalling(**stack);
    for (const auto& uri : settings.mediaServers) {
        as::MediaServerClientOptions options;
        options.uri = uri;
        options.keepAliveSeconds = settings.cfwKeepAlive;
        registry.add(std::make_unique<as::MediaServerClient>(loop, signalling, options));
    }
    if (settings.mediaServers.empty()) {
        PARLEY_LOG_WARN(log, "no --ms given: there is no media server to control");
    }

    // Webhook-scripted calls: routes to webhooks and built-in apps, asked before rooms.
    as::apps::CallScriptsHooks hooks;
    as::RoomStore& roomStore = **store;
    hooks.lookup = [&roomStore](std::string_view user, std::string_view uri)
        -> common::Result<std::optional<as::apps::ScriptRoute>> {
        auto found = roomStore.matchRoute(user, uri);
        if (!found) return found.error();
        if (!*found) return std::optional<as::apps::ScriptRoute>{};
        const as::RouteConfig& rc = **found;
        as::apps::ScriptRoute route;
        route.name = rc.id;
        route.kind = rc.kind == as::RouteConfig::Kind::Webhook ? as::apps::RouteKind::Webhook
                     : rc.kind == as::RouteConfig::Kind::App   ? as::apps::RouteKind::App
                                                                : as::apps::RouteKind::Room;
        route.target = rc.target;
        route.eventsUrl = rc.eventsUrl;
        route.fallbackPrompt = rc.fallbackPrompt;
        return std::optional<as::apps::ScriptRoute>(std::move(route));
    };
    hooks.publish = [&bus](as::apps::ScriptEvent e) {
        as::AsEvent event;
        event.type = std::move(e.type);
        event.participant = std::move(e.participant);
        event.callId = std::move(e.callId);
        event.dataJson = std::move(e.dataJson);
        event.eventsUrl = std::move(e.eventsUrl);
        bus.publish(std::move(event));
    };
    hooks.adopt = [&focus](as::apps::ConferenceHandover h) {
        as::Focus::Adoption a;
        a.user = std::move(h.user);
        a.ms = std::move(h.ms);
        a.server = h.server;
        a.room = std::move(h.room);
        a.role = std::move(h.role);
        a.muted = h.muted;
        a.uri = std::move(h.uri);
        a.displayName = std::move(h.displayName);
        return focus.adopt(std::move(a));
    };
    as::apps::CallScriptsOptions scriptOptions;
    scriptOptions.promptBase = settings.promptBase;
    scriptOptions.maxCalls = settings.maxCalls;
    scriptOptions.fallbackPrompt = settings.promptBase + "goodbye.wav";
    scriptOptions.webhook.caFile = settings.webhookCa;
    as::apps::CallScripts scripts(loop, **stack, registry, std::move(hooks), scriptOptions);
    focus.setCallRouter(&scripts);

    // Events: signed webhooks and the WebSocket stream.
    as::WebhookOptions webhookOptions;
    webhookOptions.secret = settings.webhookSecret;
    webhookOptions.caFile = settings.webhookCa;
    as::WebhookSender webhooks(webhookOptions);
    webhooks.attach(bus);

    // Every /v1 route, GET /v1/media-servers included, goes through the API's token and rate
    // checks (addApiRoutes serves it; `door` guards the routes other modules add).
    auto router = std::make_shared<common::HttpRouter>();
    as::ApiContext api{loop, focus, **store, registry, settings.apiTokens, settings.apiRate,
                       settings.msHttpBase, (*stack)->hostPort()};
    {
        const std::string host = settings.httpListen.host();
        api.loopbackListener = host.rfind("127.", 0) == 0 || host == "::1";
    }
    as::ApiDoor door = as::addApiRoutes(*router, api);
    as::addCallRoutes(*router, loop, scripts, door);
    as::EventStreamOptions streamOptions;
    // The same bearer-token (and rate) check as every REST route.
    common::HttpHandler admitted = door([](const common::HttpRequest&) { return common::HttpResponse::json(200, "{}"); });
    streamOptions.authorize = [admitted](const common::HttpRequest& request) {
        return admitted(request).status == 200;
    };
    as::EventStream stream(streamOptions);
    stream.addRoutes(*router);
    stream.attach(bus);
    auto http = common::HttpServer::start(settings.httpListen, common::HttpLimits{}, router);
    if (!http) {
        PARLEY_LOG_ERROR(log, "cannot start HTTP on " << settings.httpListen.toString() << ": "
                                                      << http.error().message);
        return 1;
    }
    common::SocketAddress httpBound = settings.httpListen;
    httpBound.setPort((*http)->port());
    PARLEY_LOG_NOTICE(log, "HTTP listening on " << httpBound.toString());

    bool stopping = false;
    auto signals = common::TerminationSignals::watch(loop, [&](const char* name) {
        if (stopping) return;
        stopping = true;
        PARLEY_LOG_NOTICE(log, name << ": ending the conferences, closing control channels and stopping");
        scripts.shutdown();
        focus.shutdown();
        registry.stopAll();
        (*stack)->stop();
    });
    if (!signals) {
        PARLEY_LOG_ERROR(log, "cannot watch signals: " << signals.error().message);
        return 1;
    }

    registry.startAll();
    (*stack)->run();

    (*http)->stop();
    stream.detach();
    stream.stop();
    webhooks.detach();
    webhooks.stop();
    signals->reset();
    registry.stopAll();
    (*stack)->shutdown();  // sends the BYEs still queued and waits for them, bounded
    PARLEY_LOG_NOTICE(log, "stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    int exitCode = 0;
    auto config = common::parseCommandLine(kProgram, "0.1.0", kSummary, as::asOptionSpecs(), argc,
                                           argv, exitCode);
    if (!config) return exitCode;
    auto settings = as::asSettingsFrom(*config);
    if (!settings) {
        std::cerr << kProgram << ": " << settings.error().message << "\n\n" << config->usage();
        return 2;
    }
    common::setupLogging(settings->logLevel);
    try {
        return run(*settings);
    } catch (const std::exception& e) {
        std::cerr << kProgram << ": fatal: " << e.what() << "\n";
        return 1;
    }
}
