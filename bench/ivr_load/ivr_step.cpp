#include "bench/ivr_load/ivr_step.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "bench/ivr_load/ivr_legs.hpp"
#include "bench/ivr_load/wav_files.hpp"
#include "bench/common/histogram.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::bench {

namespace {

namespace fs = std::filesystem;

const std::vector<double> kPromptTones{500, 650, 900, 1100};
constexpr double kPromptAmplitude = 8000;
constexpr int kPromptCycles = 5;  // the WAV holds the four tones five times: 20 s
constexpr double kCallerHz = 400;
constexpr double kCallerAmplitude = 3000;
const std::string kDigits = "1234";
const std::string kIvrOpen = "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">";
const std::string kIvrClose = "</mscivr>";

// --- msc-ivr events, read with regular expressions (the generator checks what is on the wire)

std::string tagOf(const std::string& body, const std::string& name) {
    const auto at = body.find("<" + name);
    if (at == std::string::npos) return {};
    const auto end = body.find('>', at);
    return body.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
}

std::string attr(const std::string& tag, const std::string& name) {
    const std::regex re("\\s" + name + "=[\"']([^\"']*)[\"']");
    std::smatch m;
    return std::regex_search(tag, m, re) ? m[1].str() : std::string();
}

struct IvrEvent {
    std::string dialogId;
    bool notify = false;
    bool exit = false;
    std::string dtmf;  // dtmfnotify
    int status = -1;
    std::string reason;
    std::string collectDtmf, collectMode;
    std::string recordMode;
    std::string loc;
    std::uint64_t size = 0;
    bool haveSize = false;
};

IvrEvent parseEvent(const std::string& body) {
    IvrEvent e;
    e.dialogId = attr(tagOf(body, "event"), "dialogid");
    if (const std::string n = tagOf(body, "dtmfnotify"); !n.empty()) {
        e.notify = true;
        e.dtmf = attr(n, "dtmf");
    }
    if (const std::string x = tagOf(body, "dialogexit"); !x.empty()) {
        e.exit = true;
        const std::string s = attr(x, "status");
        e.status = s.empty() ? -1 : std::atoi(s.c_str());
        e.reason = attr(x, "reason");
        const std::string c = tagOf(body, "collectinfo");
        e.collectDtmf = attr(c, "dtmf");
        e.collectMode = attr(c, "termmode");
        e.recordMode = attr(tagOf(body, "recordinfo"), "termmode");
        const std::string mi = tagOf(body, "mediainfo");
        e.loc = attr(mi, "loc");
        const std::string size = attr(mi, "size");
        if (!size.empty()) {
            e.size = std::stoull(size);
            e.haveSize = true;
        }
    }
    return e;
}

std::string promptBody(const std::string& promptUri, int repeats) {
    std::string items;
    for (int i = 0; i < repeats; ++i)
        items += "<media loc=\"" + promptUri + "\" type=\"audio/wav\"/>";
    return "<dialog><prompt bargein=\"true\">" + items +
           "</prompt><collect maxdigits=\"4\" timeout=\"600s\" interdigittimeout=\"600s\"/>"
           "</dialog><subscribe><dtmfsub matchmode=\"all\"/></subscribe>";
}

const std::string kRecordBody =
    "<dialog><record maxtime=\"600s\" vadinitial=\"false\" vadfinal=\"false\" beep=\"false\" "
    "dtmfterm=\"false\"/></dialog>";


// --- one step ---------------------------------------------------------------------------------

struct DigitLeg {
    std::size_t leg = 0;
    std::vector<std::int64_t> endSent;
    std::string notified;
    std::vector<std::int64_t> notifyAt;
    bool exited = false;
    std::string exitDtmf, exitMode;
    std::int64_t exitAt = 0;
    int exitStatus = -1;
    bool ok() const {
        return endSent.size() == kDigits.size() && notified == kDigits && exited &&
               exitDtmf == kDigits && exitMode == "match";
    }
};


std::size_t countLines(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

IvrStepResult runIvrStep(const IvrOptions& opt, std::size_t legCount) {
    IvrStepResult res;
    res.legs = legCount;
    const bool dialogs = opt.mode == IvrMode::Dialogs;

    MsProcess ms(opt.msBin, msArguments(opt),
                 opt.msCpu, opt.rtPriority);
    auto ports = ms.waitReady(std::chrono::seconds(20));
    if (!ports) {
        res.why = "parley-ms did not start: " + ms.log();
        return res;
    }
    const fs::path promptPath = fs::path(ms.dir()) / "prompt.wav";
    if (dialogs) {
        std::vector<double> tones;
        for (int i = 0; i < kPromptCycles; ++i) tones.insert(tones.end(), kPromptTones.begin(), kPromptTones.end());
        if (auto st = writeToneWav(promptPath, tones, 1.0, kPromptAmplitude); !st) {
            res.why = st.error().message;
            return res;
        }
    }
    std::printf("step: parley-ms pid %d, %zu %s\n", static_cast<int>(ms.pid()), legCount,
                dialogs ? "dialogs" : "recordings");
    std::fflush(stdout);

    common::EventLoop loop;
    auto channel = ControlChannel::create(loop, ports->sip);
    if (!channel) {
        res.why = "SIP stack: " + channel.error().message;
        return res;
    }
    proto::sip::SipStack& stack = (*channel)->stack();
    as::MediaServerClient& client = (*channel)->client();

    IvrRtpConfig rc;
    rc.slots = opt.slots;
    rc.callerHz = kCallerHz;
    rc.callerAmplitude = kCallerAmplitude;
    rc.talking = dialogs;
    rc.promptHz = kPromptTones;
    rc.promptMinAmplitude = kPromptAmplitude / 4;
    auto rtp = IvrRtp::create(loop, rc);
    if (!rtp) {
        res.why = "RTP socket: " + rtp.error().message;
        return res;
    }
    IvrLegs legs(stack, client, **rtp, ports->sip, opt.window);

    // Digit legs: spread over the range, excluded from the prompt check (barge-in stops it).
    std::vector<DigitLeg> digitLegs;
    std::vector<std::int32_t> digitIndex(legCount, -1);
    if (dialogs) {
        const std::size_t d = std::min(opt.digitLegs, legCount);
        for (std::size_t k = 0; k < d; ++k) {
            const std::size_t leg = k * legCount / d;
            digitIndex[leg] = static_cast<std::int32_t>(digitLegs.size());
            DigitLeg dl;
            dl.leg = leg;
            digitLegs.push_back(dl);
        }
    }
    for (std::size_t i = 0; i < legCount; ++i)
        legs.addLeg((*rtp)->addLeg(dialogs && digitIndex[i] < 0));
    res.digitLegs = digitLegs.size();
    if (auto st = (*rtp)->start(); !st) {
        res.why = "RTP: " + st.error().message;
        return res;
    }

    const std::string promptUri = "file://" + promptPath.string();
    const std::string dialogXml = dialogs ? promptBody(promptUri, opt.promptRepeats) : kRecordBody;
    auto body = [&dialogXml](std::size_t, const std::string& connectionId,
                             const std::string& dialogId) {
        return kIvrOpen + "<dialogstart connectionid=\"" + connectionId + "\" dialogid=\"" +
               dialogId + "\">" + dialogXml + "</dialogstart>" + kIvrClose;
    };

    // Record mode: the exits after the terminates, by leg.
    std::vector<std::optional<IvrEvent>> exitsByLeg(legCount);
    bool terminating = false;
    std::function<void()> allExited;

    client.subscribe([&](const proto::cfw::IncomingControl& ev) {
        if (ev.package != "msc-ivr/1.0") return;
        const std::int64_t at = realtimeNs();
        IvrEvent e = parseEvent(ev.body);
        const auto leg = legs.legOf(e.dialogId);
        if (!leg) return;
        const std::int32_t di = dialogs ? digitIndex[*leg] : -1;
        if (di >= 0) {
            DigitLeg& dl = digitLegs[static_cast<std::size_t>(di)];
            if (e.notify) {
                dl.notified += e.dtmf;
                dl.notifyAt.push_back(at);
            }
            if (e.exit && !dl.exited) {
                dl.exited = true;
                dl.exitAt = at;
                dl.exitDtmf = e.collectDtmf;
                dl.exitMode = e.collectMode;
                dl.exitStatus = e.status;
                // Keep N dialogs running.
                legs.restart(*leg, [&res](bool ok, const std::string& why) {
                    if (!ok && res.firstUnexpected.empty())
                        res.firstUnexpected = "restart: " + why;
                });
            }
            return;
        }
        if (!e.exit) return;
        if (dialogs || !terminating) {
            if (res.unexpectedExits++ == 0)
                res.firstUnexpected = e.dialogId + " exited status " + std::to_string(e.status) +
                                      " " + e.reason;
            return;
        }
        if (!exitsByLeg[*leg]) {
            exitsByLeg[*leg] = e;
            if (++res.exits == legs.dialogsStarted() && allExited) allExited();
        }
    });

    const std::unique_ptr<StallProbe> probe = startStallProbe(opt);
    (*rtp)->setStallProbe(probe.get());
    WindowMeter meter(ms, opt.msCpu, ports->http);
    meter.setStallProbe(probe.get());
    bool stopping = false;
    auto finish = [&](const std::string& why) {
        if (stopping) return;
        stopping = true;
        res.why = why;
        stack.stop();
    };
    auto readEnd = [&] {
        (*rtp)->endMeasure();
        meter.end(res, &res.io1);
    };
    std::function<void()> measureEnd = [&] {
        if (dialogs) {
            readEnd();
            // Late digit results still count: a second's grace.
            loop.addTimer(std::chrono::seconds(1), [&] {
                res.ok = ms.running();
                finish(res.ok ? "" : "parley-ms died");
            });
            return;
        }
        (*rtp)->setTalking(false);
        readEnd();
        // The last tone frames reach the recorder through the jitter buffer: 0.6 s, then stop.
        loop.addTimer(std::chrono::milliseconds(600), [&] {
            terminating = true;
            const auto exitDeadline =
                loop.addTimer(std::chrono::seconds(30), [&] { finish("dialogexits missing"); });
            allExited = [&, exitDeadline] {
                loop.cancelTimer(exitDeadline);
                res.ok = ms.running();
                finish(res.ok ? "" : "parley-ms died");
            };
            legs.terminateAll(false, [&](bool ok, const std::string& why) {
                if (!ok && res.firstRecordProblem.empty())
                    res.firstRecordProblem = "terminate: " + why;
                if (res.exits == legs.dialogsStarted() && allExited) allExited();
            });
        });
    };
    std::function<void()> measureBegin = [&] {
        meter.begin(res, &res.io0);
        (*rtp)->beginMeasure();
        if (!dialogs) (*rtp)->setTalking(true);
        res.window = opt.seconds;
        loop.addTimer(secondsOf(opt.seconds), measureEnd);
        // Digit legs one after another over the window, done 2 s before its end.
        const double span = std::max(0.5, opt.seconds - 2.5);
        for (std::size_t k = 0; k < digitLegs.size(); ++k) {
            const double at = 0.25 + span * static_cast<double>(k) /
                                         static_cast<double>(digitLegs.size());
            loop.addTimer(secondsOf(at), [&, k] {
                DigitLeg& dl = digitLegs[k];
                const bool queued = (*rtp)->sendDigits(
                    dl.leg, kDigits, [&dl](std::vector<std::int64_t> ends) { dl.endSent = std::move(ends); });
                if (!queued && res.firstDigitProblem.empty())
                    res.firstDigitProblem = "digits not queued on leg " + std::to_string(dl.leg);
            });
        }
    };
    StepStarter starter(loop, client, ms, res, opt.setupTimeout, opt.warmup, stopping,
                        {[&](StepStarter::Done done) { legs.start(body, std::move(done)); },
                         [&] {
                             return "set-up did not finish in time (" +
                                    std::to_string(legs.dialogsStarted()) + " dialogs started)";
                         },
                         [&] { return legs.failures(); }, finish, measureBegin});
    starter.start();
    stack.run();

    client.stop();
    stack.shutdown();
    const std::string log = ms.log();
    ms.stop();

    const IvrRtpReport r = (*rtp)->report();
    res.rtp = r;
    res.rtp.interval = nullptr;
    res.rtp.calmInterval = nullptr;
    res.setIntervals(*r.interval);
    res.setCalmIntervals(r);
    res.overflowLines = countLines(log, "overflow") + countLines(log, "fell behind");

    if (dialogs) {
        Histogram notify, exit;
        for (const DigitLeg& dl : digitLegs) {
            if (dl.ok()) {
                ++res.digitLegsOk;
            } else if (res.firstDigitProblem.empty()) {
                res.firstDigitProblem = "leg " + std::to_string(dl.leg) + ": sent " +
                                        std::to_string(dl.endSent.size()) + " digits, notified '" +
                                        dl.notified + "', exit " +
                                        (dl.exited ? "status " + std::to_string(dl.exitStatus) +
                                                         " dtmf '" + dl.exitDtmf + "' " + dl.exitMode
                                                   : std::string("none"));
            }
            for (std::size_t i = 0; i < dl.notifyAt.size() && i < dl.endSent.size(); ++i)
                notify.add((dl.notifyAt[i] - dl.endSent[i]) / 1000);
            if (dl.exited && !dl.endSent.empty()) exit.add((dl.exitAt - dl.endSent.back()) / 1000);
        }
        res.notifyP50 = notify.percentile(50);
        res.notifyMax = notify.max();
        res.exitP50 = exit.percentile(50);
        res.exitMax = exit.max();
        return res;
    }

    // Record mode: every recording checked, then deleted.
    for (std::size_t i = 0; i < legCount; ++i) {
        const auto& e = exitsByLeg[i];
        auto problem = [&](const std::string& why) {
            if (res.firstRecordProblem.empty())
                res.firstRecordProblem = "leg " + std::to_string(i) + ": " + why;
        };
        if (!e) {
            problem("no dialogexit");
            continue;
        }
        if (e->status != 0 || e->loc.empty()) {
            problem("dialogexit status " + std::to_string(e->status) + " " + e->reason +
                    (e->loc.empty() ? " without mediainfo" : ""));
            continue;
        }
        ++res.exitsOk;
        const auto slash = e->loc.rfind('/');
        const fs::path file = fs::path(ms.dir()) / e->loc.substr(slash + 1);
        const RecordingCheck c = checkRecording(file, kCallerHz, kCallerAmplitude / 3);
        std::error_code ec;
        fs::remove(file, ec);
        if (!c.valid) {
            problem(file.filename().string() + ": " + c.why);
            continue;
        }
        if (e->haveSize && e->size != c.fileBytes) {
            problem("mediainfo size " + std::to_string(e->size) + " but the file has " +
                    std::to_string(c.fileBytes));
            continue;
        }
        ++res.filesOk;
        const auto sent = static_cast<std::int64_t>((*rtp)->toneFrames(i));
        const auto got = static_cast<std::int64_t>(c.toneBlocks + c.gaps);
        res.toneFramesSent += static_cast<std::uint64_t>(sent);
        res.toneFramesRecorded += c.toneBlocks;
        const std::int64_t diff = got - sent;
        if (std::llabs(diff) > std::llabs(res.worstLengthDiff)) res.worstLengthDiff = diff;
        if (std::llabs(diff) > 2) {
            ++res.lengthOff;
            problem("tone run " + std::to_string(got) + " frames, sent " + std::to_string(sent));
        }
        if (c.gaps > 0) {
            ++res.gapFiles;
            res.gapFrames += c.gaps;
            problem(std::to_string(c.gaps) + " frames without the tone inside the run");
        }
    }
    return res;
}


}  // namespace parley::bench
