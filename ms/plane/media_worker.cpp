#include "ms/plane/media_worker.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include "common/log.hpp"

namespace parley::ms::plane {

using common::Clock;
using common::TimePoint;

namespace {

Poco::Logger& log() {
    return common::logger("ms.media");
}

void storeMax(std::atomic<std::uint64_t>& a, std::uint64_t v) {
    std::uint64_t cur = a.load(std::memory_order_relaxed);
    while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
}

std::uint64_t micros(common::Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return us > 0 ? static_cast<std::uint64_t>(us) : 0;
}

timespec toTimespec(TimePoint t) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / 1000000000);
    ts.tv_nsec = static_cast<long>(ns % 1000000000);
    return ts;
}

}  // namespace

MediaWorker::MediaWorker(std::size_t index, WorkerEvents events, common::Duration noMediaTimeout,
                         int realtimePriority, bool keepAwake, bool ioUring)
    : index_(index),
      events_(std::move(events)),
      noMediaTimeout_(noMediaTimeout),
      realtimePriority_(realtimePriority),
      keepAwake_(keepAwake ? std::make_unique<KeepAwake>("parley-awake" + std::to_string(index))
                           : nullptr),
      ioUring_(ioUring) {
    silence_.clear();
}

MediaWorker::~MediaWorker() {
    stop();
}

common::Status MediaWorker::start() {
    if (running_) return {};
    timerFd_ = common::Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timerFd_) return common::Error(errno, std::string("timerfd: ") + std::strerror(errno));
    if (auto st = loop_.watch(timerFd_.get(), common::EventLoop::kReadable,
                              [this](std::uint32_t) { onTimer(); });
        !st)
        return st;
    if (keepAwake_) {
        if (auto st = keepAwake_->start(); !st) return st;
    }
    // The tick starts with the first leg (legsChanged()): an empty worker sleeps.
    running_ = true;
    // start() returns once the thread has set itself up (scheduling, rings), so what
    // stats() says about it holds from the start.
    std::promise<void> setUp;
    std::future<void> setUpDone = setUp.get_future();
    common::Status failed;
    thread_ = std::thread([this, &setUp, &failed] {
        pthread_setname_np(pthread_self(), ("parley-media" + std::to_string(index_)).c_str());
        if (realtimePriority_ > 0) {
            sched_param sp{};
            sp.sched_priority = realtimePriority_;
            if (const int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); err != 0) {
                PARLEY_LOG_WARN(log(), "worker " << index_ << ": SCHED_FIFO " << realtimePriority_
                                                 << " refused (" << std::strerror(err)
                                                 << "), normal scheduling");
            } else {
                PARLEY_LOG_INFO(log(), "worker " << index_ << ": SCHED_FIFO " << realtimePriority_);
            }
        }
        if (ioUring_) {
            // On this thread: the ring accepts submissions from the thread that made it.
            auto ring = rtp::SendRing::create(kSendRingEntries);
            if (ring) {
                sendRing_ = std::move(*ring);
                PARLEY_LOG_INFO(log(), "worker " << index_ << ": RTP sent through io_uring");
            } else {
                PARLEY_LOG_WARN(log(), "worker " << index_ << ": " << ring.error().message
                                                 << "; RTP sent with sendto()");
            }
        }
        if (!sendRing_) sendRing_ = rtp::SendRing::withoutRing();
        sendRingLive_.store(sendRing_->live(), std::memory_order_relaxed);
        if (ioUring_) {
            auto ring = rtp::RecvRing::create();
            if (ring) {
                recvRing_ = std::move(*ring);
                PARLEY_LOG_INFO(log(), "worker " << index_ << ": RTP read through io_uring");
            } else {
                PARLEY_LOG_WARN(log(), "worker " << index_ << ": " << ring.error().message
                                                 << "; RTP read with recvmmsg()");
            }
        }
        if (!recvRing_) {
            auto plain = rtp::RecvRing::withoutRing();
            if (!plain) {  // no epoll set: no leg of this worker could receive
                failed = plain.error();
                sendRing_.reset();
                setUp.set_value();
                return;
            }
            recvRing_ = std::move(*plain);
        }
        recvRingLive_.store(recvRing_->live(), std::memory_order_relaxed);
        setUp.set_value();
        loop_.run();
        // The rings belong to this thread: the legs still here leave the receive ring now
        // (stop() unwatches their RTCP).
        for (auto& [key, leg] : legs_) {
            if (leg->recvSlot == rtp::RecvRing::kNoSlot) continue;
            recvRing_->unwatch(leg->recvSlot, Clock::now());
            leg->recvSlot = rtp::RecvRing::kNoSlot;
        }
        recvRing_.reset();
        recvRingLive_.store(false, std::memory_order_relaxed);
        sendRing_.reset();
        sendRingLive_.store(false, std::memory_order_relaxed);
    });
    setUpDone.wait();
    if (!failed) {  // the thread has ended
        thread_.join();
        running_ = false;
        return failed;
    }
    return {};
}

void MediaWorker::armTimer(bool on) {
    if (on == timerArmed_) return;
    itimerspec spec{};
    if (on) {
        // Steady clock and CLOCK_MONOTONIC are the same clock on Linux.
        nextDeadline_ = Clock::now() + kTickPeriod;
        spec.it_value = toTimespec(nextDeadline_);
        spec.it_interval.tv_nsec = static_cast<long>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(kTickPeriod).count());
    }
    if (::timerfd_settime(timerFd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
        PARLEY_LOG_ERROR(log(), "worker " << index_ << ": timerfd_settime: " << std::strerror(errno));
        return;
    }
    timerArmed_ = on;
    armed_.store(on, std::memory_order_relaxed);
    if (keepAwake_) keepAwake_->follow(on ? ::sched_getcpu() : -1);
}

void MediaWorker::stop() {
    if (!running_) return;
    running_ = false;
    loop_.stop();
    if (thread_.joinable()) thread_.join();
    if (keepAwake_) keepAwake_->stop();
    // The thread is gone: what it owned is ours now.
    for (auto& [key, leg] : legs_) unwatchLeg(*leg);
    legs_.clear();
    legsById_.clear();
    order_.clear();
    groups_.clear();
    slots_.clear();
    groupOrder_.clear();
    batches_.clear();
    batchLegs_.clear();
    loop_.unwatch(timerFd_.get());
    legCount_.store(0, std::memory_order_relaxed);
}

// --- commands -----------------------------------------------------------------------------

void MediaWorker::adopt(LegPtr leg) {
    auto box = std::make_shared<LegPtr>(std::move(leg));
    loop_.post([this, box] {
        LegPtr l = std::move(*box);
        if (!l || (!l->rtp && !l->dialog)) return;
        WorkerLeg* self = l.get();
        const TimePoint now = Clock::now();
        if (l->rtp) {
            l->rtp->setDigitCallback([this, self](const rtp::DigitEvent& d) {
                forwardDigit(*self, d);
                if (self->dialog) {
                    const TimePoint at = Clock::now();
                    self->dialog->onRtpDigit(d.digit, at - d.duration, at);
                }
                if (events_.digit) events_.digit(self->id, d);
            });
            l->packetsAtCheck = l->rtp->counters().packetsIn;
            watchLeg(*l);
        }
        l->lastPacket = now;
        l->noMediaReported = false;
        if (l->dialog && !l->dialog->started()) startRunner(*l, now);
        const std::uint64_t key = l->key;
        WorkerLeg& leg = *l;
        legs_[key] = std::move(l);
        legsById_[leg.id] = &leg;
        order_.push_back(&leg);
        bindLeg(leg);
        legsChanged();
    });
}

void MediaWorker::update(std::uint64_t key, rtp::MediaParams media) {
    loop_.post([this, key, media = std::move(media)] {
        auto it = legs_.find(key);
        if (it == legs_.end() || !it->second->rtp) return;
        it->second->digitsOut = media.telephoneEvent();
        it->second->rtp->updateMedia(media);
        it->second->lastPacket = Clock::now();
    });
}

void MediaWorker::drop(std::uint64_t key) {
    loop_.post([this, key] {
        auto it = legs_.find(key);
        if (it == legs_.end()) return;
        LegPtr leg = std::move(it->second);
        legs_.erase(it);
        removeLeg(*leg);
        const TimePoint now = Clock::now();
        if (leg->dialog) leg->dialog->targetGone(now);
        legsChanged();
        if (!leg->rtp) return;
        unwatchLeg(*leg);
        leg->rtp->sendBye(now);
        retired_.add(*leg->rtp);
        publishCounters();
        if (events_.dropped) events_.dropped(leg->id, leg->rtp->counters());
        // The RtpSession closes its sockets and gives the ports back here.
    });
}

void MediaWorker::release(std::uint64_t key) {
    loop_.post([this, key] {
        auto it = legs_.find(key);
        if (it == legs_.end()) return;
        LegPtr leg = std::move(it->second);
        legs_.erase(it);
        removeLeg(*leg);
        if (leg->rtp) {
            unwatchLeg(*leg);
            leg->rtp->setDigitCallback({});
        }
        legsChanged();
        if (events_.returned) events_.returned(std::make_shared<LegPtr>(std::move(leg)));
    });
}

void MediaWorker::attachDialog(std::uint64_t key, std::unique_ptr<ivr::DialogRunner> runner) {
    auto box = std::make_shared<std::unique_ptr<ivr::DialogRunner>>(std::move(runner));
    loop_.post([this, key, box] {
        auto it = legs_.find(key);
        const TimePoint now = Clock::now();
        if (it == legs_.end()) {
            // The leg ended between the request and now: the dialog's target is gone.
            (*box)->targetGone(now);
            return;
        }
        WorkerLeg& leg = *it->second;
        if (leg.dialog && !leg.dialog->ended()) {
            // The control side allows one dialog per connection; a race lost here ends
            // the newcomer rather than the running one.
            (*box)->terminate(true, now);
            return;
        }
        leg.dialog = std::move(*box);
        startRunner(leg, now);
    });
}

void MediaWorker::terminateDialog(std::uint64_t key, bool immediate) {
    loop_.post([this, key, immediate] {
        auto it = legs_.find(key);
        if (it == legs_.end() || !it->second->dialog) return;
        it->second->dialog->terminate(immediate, Clock::now());
    });
}

void MediaWorker::dialogTargetGone(std::uint64_t key) {
    loop_.post([this, key] {
        auto it = legs_.find(key);
        if (it == legs_.end() || !it->second->dialog) return;
        it->second->dialog->targetGone(Clock::now());
    });
}

void MediaWorker::startRunner(WorkerLeg& leg, TimePoint now) {
    if (leg.rtp && leg.digitsOut) {
        rtp::RtpSession* session = leg.rtp.get();
        leg.dialog->setDigitSink([session](char digit, std::chrono::milliseconds duration) {
            (void)session->sendDigit(digit, duration);
        });
    }
    leg.dialog->start(now);
}

void MediaWorker::applyPlans(std::vector<std::string> gone, std::vector<GroupPlan> plans) {
    struct Change {
        std::vector<std::string> gone;
        std::vector<GroupPlan> plans;
    };
    auto box = std::make_shared<Change>(Change{std::move(gone), std::move(plans)});
    loop_.post([this, box] {
        for (const std::string& key : box->gone) {
            auto it = groups_.find(key);
            if (it == groups_.end()) continue;
            unbindGroup(*it->second);
            groups_.erase(it);
        }
        for (GroupPlan& gp : box->plans) {
            auto& slot = groups_[gp.key];
            if (!slot) {
                slot = std::make_unique<MixGroup>();
                slot->key = gp.key;
            }
            MixGroup& group = *slot;
            unbindGroup(group);
            group.talkers = false;
            for (const auto& c : gp.plan.conferences)
                group.talkers = group.talkers || c.activeTalkersInterval.count() > 0;
            group.engine.applyPlan(std::move(gp.plan));
            const mixer::MixPlan& plan = group.engine.plan();
            const std::size_t n = plan.connections.size();
            group.inputs.assign(n, nullptr);
            group.outputs.assign(n, nullptr);
            group.legs.assign(n, nullptr);
            for (std::size_t i = 0; i < n; ++i) {
                slots_[plan.connections[i]] = {&group, i};
                auto leg = legsById_.find(plan.connections[i]);
                if (leg != legsById_.end()) bindLeg(*leg->second);
            }
        }
        groupsChanged();
    });
}

WorkerStats MediaWorker::stats() const {
    WorkerStats s;
    s.ticks = ticks_.load(std::memory_order_relaxed);
    s.lateWakeups = lateWakeups_.load(std::memory_order_relaxed);
    s.skippedTicks = skippedTicks_.load(std::memory_order_relaxed);
    s.maxTickMicros = maxTickMicros_.load(std::memory_order_relaxed);
    s.legs = legCount_.load(std::memory_order_relaxed);
    s.conferences = conferenceCount_.load(std::memory_order_relaxed);
    s.rtpIn = rtpIn_.load(std::memory_order_relaxed);
    s.rtpOut = rtpOut_.load(std::memory_order_relaxed);
    s.malformed = malformed_.load(std::memory_order_relaxed);
    s.strangers = strangers_.load(std::memory_order_relaxed);
    s.rtcpMalformed = rtcpMalformed_.load(std::memory_order_relaxed);
    s.jitterOverflow = jitterOverflow_.load(std::memory_order_relaxed);
    s.jitterTrimmed = jitterTrimmed_.load(std::memory_order_relaxed);
    s.readLimitHits = readLimitHits_.load(std::memory_order_relaxed);
    s.jitterDelayMeanMicros = jitterDelayMean_.load(std::memory_order_relaxed);
    s.jitterDelayMaxMicros = jitterDelayMax_.load(std::memory_order_relaxed);
    s.ticking = armed_.load(std::memory_order_relaxed);
    s.keptAwakeCpu = keepAwake_ ? keepAwake_->spinningOn() : -1;
    s.sendRing = sendRingLive_.load(std::memory_order_relaxed);
    s.recvRing = recvRingLive_.load(std::memory_order_relaxed);
    return s;
}

// --- worker thread ------------------------------------------------------------------------

// RTP is read at the start of every tick by the RecvRing (with or without io_uring), which
// keeps the sockets in an epoll set of its own; RTCP (one packet per leg every few seconds)
// is watched by the loop.
void MediaWorker::watchLeg(WorkerLeg& leg) {
    if (!leg.rtp) return;
    WorkerLeg* p = &leg;
    if (auto slot = recvRing_->watch(*leg.rtp); slot)
        leg.recvSlot = *slot;
    else
        PARLEY_LOG_WARN(log(), "leg " << leg.id << ": " << slot.error().message);
    auto st = loop_.watch(leg.rtp->rtcpFd(), common::EventLoop::kReadable,
                          [p](std::uint32_t) { p->rtp->onRtcpReadable(Clock::now()); });
    if (!st)
        PARLEY_LOG_WARN(log(), "leg " << leg.id << ": cannot watch RTCP: " << st.error().message);
}

void MediaWorker::unwatchLeg(WorkerLeg& leg) {
    if (!leg.rtp) return;
    if (leg.recvSlot != rtp::RecvRing::kNoSlot) {
        // What the ring had read for it goes to its session first: nothing is lost when the
        // leg moves to another worker.
        recvRing_->unwatch(leg.recvSlot, Clock::now());
        leg.recvSlot = rtp::RecvRing::kNoSlot;
    }
    loop_.unwatch(leg.rtp->rtcpFd());
}

void MediaWorker::legsChanged() {
    legCount_.store(legs_.size(), std::memory_order_relaxed);
    rebuildBatches();
    armTimer(!legs_.empty());
}

// Every group in groupOrder_ is a batch of the legs bound to its plan slots (a group with
// no leg here still mixes), then one batch of the legs that no group holds.
void MediaWorker::rebuildBatches() {
    batches_.clear();
    batchLegs_.clear();
    for (MixGroup* group : groupOrder_) {
        TickBatch batch{group, batchLegs_.size(), 0};
        for (WorkerLeg* leg : group->legs)
            if (leg != nullptr) batchLegs_.push_back(leg);
        batch.end = batchLegs_.size();
        batches_.push_back(batch);
    }
    TickBatch loose{nullptr, batchLegs_.size(), 0};
    for (WorkerLeg* leg : order_)
        if (leg->group == nullptr) batchLegs_.push_back(leg);
    loose.end = batchLegs_.size();
    batches_.push_back(loose);
}

void MediaWorker::bindLeg(WorkerLeg& leg) {
    unbindLeg(leg);
    auto it = slots_.find(leg.id);
    if (it == slots_.end()) return;
    auto [group, i] = it->second;
    leg.group = group;
    leg.planIndex = i;
    group->inputs[i] = &leg.in;
    group->outputs[i] = &leg.out;
    group->legs[i] = &leg;
}

void MediaWorker::unbindLeg(WorkerLeg& leg) {
    if (leg.group != nullptr && leg.planIndex < leg.group->legs.size() &&
        leg.group->legs[leg.planIndex] == &leg) {
        leg.group->inputs[leg.planIndex] = nullptr;
        leg.group->outputs[leg.planIndex] = nullptr;
        leg.group->legs[leg.planIndex] = nullptr;
    }
    leg.group = nullptr;
    leg.planIndex = mixer::kNoIndex;
}

void MediaWorker::removeLeg(WorkerLeg& leg) {
    unbindLeg(leg);
    auto byId = legsById_.find(leg.id);
    if (byId != legsById_.end() && byId->second == &leg) legsById_.erase(byId);
    auto pos = std::find(order_.begin(), order_.end(), &leg);
    if (pos != order_.end()) order_.erase(pos);
}

void MediaWorker::unbindGroup(MixGroup& group) {
    for (WorkerLeg*& leg : group.legs) {
        if (leg != nullptr && leg->group == &group) unbindLeg(*leg);
        leg = nullptr;
    }
    std::fill(group.inputs.begin(), group.inputs.end(), nullptr);
    std::fill(group.outputs.begin(), group.outputs.end(), nullptr);
    for (const std::string& id : group.engine.plan().connections) {
        auto it = slots_.find(id);
        if (it != slots_.end() && it->second.first == &group) slots_.erase(it);
    }
}

void MediaWorker::groupsChanged() {
    groupOrder_.clear();
    talkersSubscribed_ = false;
    std::size_t conferences = 0;
    for (auto& [key, group] : groups_) {
        groupOrder_.push_back(group.get());
        talkersSubscribed_ = talkersSubscribed_ || group->talkers;
        conferences += group->engine.plan().conferences.size();
    }
    conferenceCount_.store(conferences, std::memory_order_relaxed);
    rebuildBatches();
}

void MediaWorker::forwardDigit(const WorkerLeg& from, const rtp::DigitEvent& digit) {
    if (from.group == nullptr || from.planIndex == mixer::kNoIndex) return;
    const MixGroup& group = *from.group;
    const mixer::MixPlan& plan = group.engine.plan();
    for (std::size_t i = 0; i < plan.routes.size() && i < group.legs.size(); ++i) {
        WorkerLeg* to = group.legs[i];
        if (to == nullptr || !to->rtp) continue;
        for (const auto& r : plan.routes[i]) {
            if (r.kind != mixer::MixPlan::Route::Kind::connection ||
                r.connection != from.planIndex || r.output.clamp)
                continue;
            const auto duration = std::max(digit.duration, std::chrono::milliseconds(40));
            (void)to->rtp->sendDigit(digit.digit, duration);
        }
    }
}

void MediaWorker::onTimer() {
    std::uint64_t expirations = 0;
    if (::read(timerFd_.get(), &expirations, sizeof expirations) !=
            static_cast<ssize_t>(sizeof expirations) ||
        expirations == 0)
        return;
    if (expirations > 1) lateWakeups_.fetch_add(1, std::memory_order_relaxed);
    // The spinner follows the worker when the scheduler moved it.
    if (keepAwake_) keepAwake_->follow(::sched_getcpu());
    std::uint64_t run = expirations;
    if (run > kMaxCatchUpTicks) {
        const std::uint64_t skipped = run - kMaxCatchUpTicks;
        skippedTicks_.fetch_add(skipped, std::memory_order_relaxed);
        nextDeadline_ += kTickPeriod * static_cast<long>(skipped);
        run = kMaxCatchUpTicks;
    }
    // Which legs received something since the previous tick, before any tick runs; each is
    // read when its batch runs in the first tick (catch-up ticks after it would find the
    // sockets empty).
    const TimePoint scanStart = Clock::now();
    const TimePoint lastDue = nextDeadline_ + kTickPeriod * static_cast<long>(run - 1);
    windowWakeMax_ = std::max(windowWakeMax_, micros(scanStart - lastDue));
    recvRing_->reap();  // every ready socket, read (or marked to be read, without io_uring)
    windowScanMax_ = std::max(windowScanMax_, micros(Clock::now() - scanStart));
    for (std::uint64_t i = 0; i < run; ++i) {
        const TimePoint started = i == 0 ? scanStart : Clock::now();
        runTick(nextDeadline_, i == 0);
        nextDeadline_ += kTickPeriod;
        const std::uint64_t took = micros(Clock::now() - started);
        storeMax(maxTickMicros_, took);
        windowTickMax_ = std::max(windowTickMax_, took);
    }
}

// The send phase starts at a steady offset from the deadline: the longest time reading and
// mixing took in the last two windows of kSendAnchorWindowTicks, plus a margin, capped at
// kMaxSendOffset. Without it every stream's packet leaves whenever this tick's reading and
// mixing happen to end, and their variation shows in every inter-packet interval. A tick
// that is ready later than the offset sends at once (a catch-up tick always is). The offset
// rises at once (the tick that needed more was late anyway) and falls by kSendOffsetDecay
// per tick: dropping it in one step when a slow tick leaves the windows would make every
// stream's next packet early by the difference.
void MediaWorker::holdUntilSendTime(TimePoint deadline) {
    const TimePoint ready = Clock::now();
    const common::Duration took = ready > deadline ? ready - deadline : common::Duration::zero();
    anchorWindowMax_ = std::max(anchorWindowMax_, took);
    if (++anchorWindowTicks_ == kSendAnchorWindowTicks) {
        anchorPreviousMax_ = anchorWindowMax_;
        anchorWindowMax_ = common::Duration::zero();
        anchorWindowTicks_ = 0;
    }
    // The send phase must still end well inside the period: a worker near saturation sends
    // as soon as it is ready.
    const common::Duration room = kTickPeriod - kSendOffsetMargin * 4 - sendTime_;
    const common::Duration cap = std::min(kMaxSendOffset, room);
    const common::Duration target =
        std::min(std::max(anchorPreviousMax_, anchorWindowMax_) + kSendOffsetMargin, cap);
    if (target >= sendOffset_)
        sendOffset_ = target;
    else
        sendOffset_ = std::max(target, std::min(sendOffset_ - kSendOffsetDecay, cap));
    windowOffsetMax_ = std::max(windowOffsetMax_, sendOffset_);
    const TimePoint sendAt = deadline + sendOffset_;
    if (ready >= sendAt) {
        if (ready > sendAt) ++windowReadyLate_;
        return;
    }
    const timespec ts = toTimespec(sendAt);
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

void MediaWorker::runTick(TimePoint now, bool read) {
    // One batch (a group and its legs) at a time from reading to the encoded packet, so that
    // a leg's jitter buffer and frames are still in the cache when it is mixed and encoded;
    // then every packet is sent in one sweep at the send offset.
    for (const TickBatch& batch : batches_) {
        WorkerLeg* const* const first = batchLegs_.data() + batch.begin;
        WorkerLeg* const* const last = batchLegs_.data() + batch.end;
        if (read) {
            const TimePoint at = Clock::now();
            for (auto p = first; p != last; ++p) {
                WorkerLeg* leg = *p;
                if (leg->recvSlot != rtp::RecvRing::kNoSlot) recvRing_->deliver(leg->recvSlot, at);
            }
        }
        for (auto p = first; p != last; ++p) {
            WorkerLeg* leg = *p;
            if (leg->rtp) {
                leg->rtp->tick(now);
                leg->rtp->pullFrame(leg->in);
            } else {
                leg->in.clear();
            }
            if (leg->dialog) {
                leg->dialog->onTick(now);
                // A conference dialog's prompt is its participant's input to the mix.
                if (!leg->rtp) leg->dialog->playout(leg->in);
            }
        }
        if (batch.group != nullptr)
            batch.group->engine.runTick(batch.group->inputs, batch.group->outputs);
        // Dialogs hear and speak before the send phase (digit detection, collection,
        // recording, prompt rendering and time-stretching vary from tick to tick): the send
        // phase is only system calls, so each stream leaves at the same offset every tick.
        for (auto p = first; p != last; ++p) {
            WorkerLeg* leg = *p;
            const bool planned = leg->planIndex != mixer::kNoIndex;
            if (leg->dialog) {
                if (!leg->rtp) {
                    leg->dialog->listen(planned ? leg->out : silence_, now);
                } else {
                    leg->dialog->listen(leg->in, now);
                    if (!planned) leg->out.clear();
                    leg->dialog->playout(leg->out);
                }
            }
            if (leg->rtp) leg->rtp->prepareFrame(leg->dialog || planned ? leg->out : silence_);
            // A runner that reported its end is done with the media.
            if (leg->dialog && leg->dialog->ended()) leg->dialog.reset();
        }
    }
    holdUntilSendTime(now);
    const TimePoint sendStart = Clock::now();
    for (WorkerLeg* leg : batchLegs_)
        if (leg->rtp) sendRing_->add(*leg->rtp);
    sendRing_->flush();
    sendRingLive_.store(sendRing_->live(), std::memory_order_relaxed);  // false once it failed
    recvRingLive_.store(recvRing_->live(), std::memory_order_relaxed);
    // The send phase's cost, smoothed (1/8 per tick) and raised at once by a slower tick.
    const common::Duration sent = Clock::now() - sendStart;
    sendTime_ = sent > sendTime_ ? sent : sendTime_ + (sent - sendTime_) / 8;
    windowSendMax_ = std::max(windowSendMax_, micros(sent));
    if (talkersSubscribed_) {
        std::vector<mixer::ActiveTalkersReport> reports;
        for (MixGroup* group : groupOrder_) {
            if (!group->talkers) continue;
            auto due = group->engine.pollActiveTalkers(now);
            for (auto& r : due) reports.push_back(std::move(r));
        }
        if (!reports.empty() && events_.talkers) events_.talkers(std::move(reports));
    }
    ++tickCount_;
    ticks_.fetch_add(1, std::memory_order_relaxed);
    if (tickCount_ % 50 == 0) checkMedia(now);
}

void LegTotals::add(const rtp::RtpSession& session) {
    rtp += session.counters();
    jitterOverflow += session.jitterStats().overflow;
    jitterTrimmed += session.jitterStats().trimmed;
}

// The counters of the legs living here plus those of the legs dropped here, so that each
// published total only grows (a leg that ends keeps its counts in them).
void MediaWorker::publishCounters() {
    LegTotals total = retired_;
    std::uint64_t delaySum = 0, delayMax = 0, delayLegs = 0;
    for (WorkerLeg* leg : order_) {
        if (!leg->rtp) continue;
        total.add(*leg->rtp);
        if (leg->rtp->receiving() && leg->rtp->jitterStats().framesIn > 0) {
            const auto d = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(leg->rtp->jitterDelay())
                    .count());
            delaySum += d;
            delayMax = std::max(delayMax, d);
            ++delayLegs;
        }
    }
    const rtp::RtpCounters& sum = total.rtp;
    rtpIn_.store(sum.packetsIn, std::memory_order_relaxed);
    rtpOut_.store(sum.packetsOut, std::memory_order_relaxed);
    malformed_.store(sum.malformed, std::memory_order_relaxed);
    strangers_.store(sum.strangers + sum.rtcpStrangers, std::memory_order_relaxed);
    rtcpMalformed_.store(sum.rtcpMalformed, std::memory_order_relaxed);
    jitterOverflow_.store(total.jitterOverflow, std::memory_order_relaxed);
    jitterTrimmed_.store(total.jitterTrimmed, std::memory_order_relaxed);
    readLimitHits_.store(sum.readLimitHits, std::memory_order_relaxed);
    jitterDelayMean_.store(delayLegs > 0 ? delaySum / delayLegs : 0, std::memory_order_relaxed);
    jitterDelayMax_.store(delayMax, std::memory_order_relaxed);
}

void MediaWorker::checkMedia(TimePoint now) {
    publishCounters();
    if (tickCount_ % kLoadLogTicks == 0) {
        PARLEY_LOG_DEBUG(log(), "worker " << index_ << ": " << order_.size() << " legs, jitter delay"
                                          << " mean " << jitterDelayMean_.load(std::memory_order_relaxed)
                                          << " us max " << jitterDelayMax_.load(std::memory_order_relaxed)
                                          << " us; last 10 s: wake-up late max " << windowWakeMax_
                                          << " us, read phase max " << windowScanMax_
                                          << " us, tick max " << windowTickMax_
                                          << " us, send offset max " << micros(windowOffsetMax_)
                                          << " us, send sweep max " << windowSendMax_
                                          << " us, ticks ready after their send time "
                                          << windowReadyLate_ << " of " << kLoadLogTicks);
        windowWakeMax_ = windowScanMax_ = windowTickMax_ = windowSendMax_ = windowReadyLate_ = 0;
        windowOffsetMax_ = common::Duration::zero();
    }
    for (WorkerLeg* leg : order_) {
        if (!leg->rtp) continue;
        const std::uint64_t packets = leg->rtp->counters().packetsIn;
        if (packets != leg->packetsAtCheck) {
            leg->packetsAtCheck = packets;
            leg->lastPacket = now;
            if (leg->noMediaReported) {
                leg->noMediaReported = false;
                if (events_.media) events_.media(leg->id, false);
            }
            continue;
        }
        if (!leg->noMediaReported && leg->rtp->receiving() &&
            now - leg->lastPacket > noMediaTimeout_) {
            leg->noMediaReported = true;
            if (events_.media) events_.media(leg->id, true);
        }
    }
}

}  // namespace parley::ms::plane
