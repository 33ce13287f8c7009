#include "ms/ivr/disk_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "common/log.hpp"
#include "ms/ivr/wav.hpp"
#include "ms/media/audio_frame.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::ms::ivr {
namespace {

namespace status = proto::ivr::status;

constexpr std::uint32_t kRate = media::kNarrowbandRate;
constexpr std::size_t kStagingBytes = 64 * 1024;
constexpr std::size_t kAppendHeaderProbe = 64 * 1024;
constexpr std::uint64_t kMaxRiffBytes = 0xFFFFFFFFull;

std::string errnoText(int err) {
    return std::error_code(err, std::generic_category()).message();
}

common::Error openError(const std::filesystem::path& path, int err) {
    std::string why;
    switch (err) {
        case ENOENT:
        case ENOTDIR:
            why = "directory does not exist";
            break;
        case EACCES:
        case EPERM:
        case EROFS:
            why = "not writable";
            break;
        case EISDIR:
            why = "is a directory";
            break;
        case EMFILE:
        case ENFILE:
            why = "too many open files";
            break;
        default:
            why = errnoText(err);
    }
    return common::Error(status::kUnsupportedRecord,
                         "cannot record to " + path.string() + ": " + why);
}

common::Error writeError(int err) {
    switch (err) {
        case ENOSPC:
            return common::Error(status::kOtherExecutionError, "disk full");
        case EDQUOT:
            return common::Error(status::kOtherExecutionError, "disk quota exceeded");
        case EFBIG:
            return common::Error(status::kOtherExecutionError, "file size limit reached");
        case EIO:
            return common::Error(status::kOtherExecutionError, "I/O error writing the recording");
        default:
            return common::Error(status::kOtherExecutionError,
                                 "writing the recording failed: " + errnoText(err));
    }
}

// pwrite all of [data, data+size) at offset; 0 or errno.
int writeAll(int fd, const char* data, std::size_t size, std::uint64_t offset) {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        data += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return 0;
}

int writeLe32(int fd, std::uint32_t value, std::uint64_t offset) {
    const char b[4] = {static_cast<char>(value & 0xFF), static_cast<char>((value >> 8) & 0xFF),
                       static_cast<char>((value >> 16) & 0xFF),
                       static_cast<char>((value >> 24) & 0xFF)};
    return writeAll(fd, b, sizeof b, offset);
}

class FdGuard {
  public:
    explicit FdGuard(int fd) : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// RecordingFile

RecordingFile::RecordingFile(std::filesystem::path path, std::size_t ringSamples,
                             RecordingDone done)
    : path_(std::move(path)),
      ring_(new std::int16_t[ringSamples]()),
      capacity_(ringSamples),
      done_(std::move(done)) {}

RecordingFile::~RecordingFile() {
    if (fd_ >= 0) ::close(fd_);
}

bool RecordingFile::write(const std::int16_t* samples, std::size_t count) {
    if (state_.load(std::memory_order_acquire) != State::Recording) return false;
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    const std::size_t free = capacity_ - static_cast<std::size_t>(head - tail);
    if (count > free) {
        overflow_.store(true, std::memory_order_release);
        State expected = State::Recording;
        state_.compare_exchange_strong(expected, State::Failed, std::memory_order_acq_rel);
        return false;
    }
    const std::size_t start = static_cast<std::size_t>(head % capacity_);
    const std::size_t first = std::min(count, capacity_ - start);
    std::memcpy(ring_.get() + start, samples, first * sizeof(std::int16_t));
    std::memcpy(ring_.get(), samples + first, (count - first) * sizeof(std::int16_t));
    head_.store(head + count, std::memory_order_release);
    return true;
}

void RecordingFile::finish() {
    State expected = State::Recording;
    state_.compare_exchange_strong(expected, State::Finishing, std::memory_order_acq_rel);
}

void RecordingFile::abandon() {
    State s = state_.load(std::memory_order_acquire);
    while (s == State::Recording || s == State::Finishing) {
        if (state_.compare_exchange_weak(s, State::Abandoned, std::memory_order_acq_rel)) break;
    }
}

bool RecordingFile::failed() const {
    return state_.load(std::memory_order_acquire) == State::Failed;
}

std::size_t RecordingFile::readable() const {
    return static_cast<std::size_t>(head_.load(std::memory_order_acquire) -
                                    tail_.load(std::memory_order_relaxed));
}

// ---------------------------------------------------------------------------------------
// DiskWriter

DiskWriter::DiskWriter(Config config) : config_(config), buffer_(kStagingBytes) {}

DiskWriter::~DiskWriter() {
    stop();
}

common::Status DiskWriter::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable()) return {};
    if (stopRequested_) return common::Error(status::kUnsupportedRecord, "disk writer stopped");
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
        return common::Error(status::kUnsupportedRecord,
                             std::string("cannot start the disk writer: ") + e.what());
    }
    return {};
}

void DiskWriter::stop() {
    std::thread t;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopRequested_ = true;
        t = std::move(thread_);
    }
    cv_.notify_all();
    if (t.joinable()) t.join();
    serviceAll(true);  // whatever is left (opened but never started, or raced with stop)
}

void DiskWriter::wake() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        wakeRequested_ = true;
    }
    cv_.notify_all();
}

std::size_t DiskWriter::openCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return files_.size();
}

common::Result<std::shared_ptr<RecordingFile>> DiskWriter::open(const std::filesystem::path& path,
                                                                bool append, RecordingDone done) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!thread_.joinable() || stopRequested_) {
            return common::Error(status::kUnsupportedRecord, "disk writer not running");
        }
        if (files_.size() >= config_.maxOpen) {
            return common::Error(status::kUnsupportedRecord, "too many recordings open");
        }
    }
    const std::size_t ringSamples = std::max<std::size_t>(
        media::kNarrowbandSamples, static_cast<std::size_t>(config_.ringSeconds.count()) * kRate);
    std::shared_ptr<RecordingFile> rec(new RecordingFile(path, ringSamples, std::move(done)));

    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    if (append && exists) {
        FdGuard fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (fd.get() < 0) return openError(path, errno);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return openError(path, errno);
        if (!S_ISREG(st.st_mode)) return openError(path, EISDIR);
        const auto fileSize = static_cast<std::uint64_t>(st.st_size);
        std::string head(
            static_cast<std::size_t>(std::min<std::uint64_t>(fileSize, kAppendHeaderProbe)), '\0');
        const ssize_t got = ::pread(fd.get(), head.data(), head.size(), 0);
        if (got < 0) return openError(path, errno);
        head.resize(static_cast<std::size_t>(got));
        auto info = inspectWav(head);
        const auto cannot = [&](const std::string& why) {
            return common::Error(status::kUnsupportedRecord,
                                 "cannot append to " + path.string() + ": " + why);
        };
        if (!info) return cannot(info.error().message);
        if (info->encoding != WavEncoding::Pcm || info->bitsPerSample != 16 ||
            info->channels != 1 || info->sampleRate != kRate) {
            return cannot("not 8 kHz 16-bit mono PCM");
        }
        const std::uint64_t dataOffset = info->dataOffset;
        const std::uint64_t present =
            std::min<std::uint64_t>(info->dataBytesDeclared, fileSize - dataOffset);
        const std::uint64_t declaredEnd = dataOffset + info->dataBytesDeclared;
        if (declaredEnd < fileSize &&
            !(declaredEnd + 1 == fileSize && info->dataBytesDeclared % 2)) {
            return cannot("chunks follow the audio data");
        }
        rec->fd_ = fd.release();
        rec->append_ = true;
        rec->created_ = false;
        rec->originalLength_ = fileSize;
        rec->dataOffset_ = dataOffset;
        rec->riffSizeOffset_ = 4;
        rec->dataSizeOffset_ = dataOffset - 4;
        rec->dataBytes_ = present & ~std::uint64_t{1};
        const auto le32At = [&](std::size_t pos) {
            std::uint32_t v = 0;
            for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(head[pos + i]);
            return v;
        };
        rec->originalRiffSize_ = le32At(4);
        rec->originalDataSize_ = le32At(static_cast<std::size_t>(dataOffset - 4));
    } else {
        FdGuard fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (fd.get() < 0) return openError(path, errno);
        const std::string header = wavHeader(kRate, 0);
        if (int err = writeAll(fd.get(), header.data(), header.size(), 0); err != 0) {
            ::unlink(path.c_str());
            return openError(path, err);
        }
        rec->fd_ = fd.release();
        rec->created_ = true;
        rec->dataOffset_ = kWavHeaderBytes;
        rec->dataSizeOffset_ = kWavHeaderBytes - 4;
    }
    // The caller's handle: when its last copy goes, the writer learns the owner is gone.
    std::shared_ptr<RecordingFile> handle(rec.get(), [keep = rec](RecordingFile* r) {
        r->ownerGone_.store(true, std::memory_order_release);
        (void)keep;
    });
    {
        std::lock_guard<std::mutex> lock(mutex_);
        files_.push_back(rec);
        wakeRequested_ = true;
    }
    cv_.notify_all();
    return handle;
}

void DiskWriter::run() {
    for (;;) {
        bool stopping = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait_for(lock, config_.flushPeriod,
                         [this] { return wakeRequested_ || stopRequested_; });
            wakeRequested_ = false;
            stopping = stopRequested_;
        }
        serviceAll(stopping);
        if (stopping) return;
    }
}

void DiskWriter::serviceAll(bool stopping) {
    std::vector<std::shared_ptr<RecordingFile>> snapshot;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        snapshot = files_;
    }
    std::vector<RecordingFile*> completed;
    for (const auto& rec : snapshot) {
        if (service(rec, stopping)) completed.push_back(rec.get());
    }
    if (completed.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(files_, [&](const std::shared_ptr<RecordingFile>& f) {
        return std::find(completed.begin(), completed.end(), f.get()) != completed.end();
    });
}

bool DiskWriter::service(const std::shared_ptr<RecordingFile>& rec, bool stopping) {
    RecordingFile& r = *rec;
    const auto complete = [&](common::Result<RecordingResult> result) {
        RecordingDone done = std::move(r.done_);
        r.done_ = nullptr;
        if (done) done(std::move(result));
        return true;
    };
    const auto fail = [&](common::Error e) {
        r.state_.store(RecordingFile::State::Failed, std::memory_order_release);
        discard(r);
        PARLEY_LOG_WARN(common::logger("ms.ivr"),
                        "recording " << r.path_.string() << " failed: " << e.message);
        return complete(std::move(e));
    };

    const RecordingFile::State s = r.state_.load(std::memory_order_acquire);
    switch (s) {
        case RecordingFile::State::Abandoned:
            discard(r);
            return complete(common::Error(status::kDialogCanceled, "recording abandoned"));
        case RecordingFile::State::Failed:
            return fail(common::Error(status::kOtherExecutionError,
                                      r.overflow_.load(std::memory_order_acquire)
                                          ? "recording buffer overflow: disk too slow"
                                          : "recording failed"));
        case RecordingFile::State::Finishing: {
            // finish() came after the worker's last write: this drain sees everything.
            RecordingResult result;
            if (auto st = finalize(r, result); !st) return fail(st.error());
            return complete(std::move(result));
        }
        case RecordingFile::State::Recording:
            break;
    }
    if (auto st = drain(r); !st) return fail(st.error());
    if (r.ownerGone_.load(std::memory_order_acquire) &&
        r.state_.load(std::memory_order_acquire) == RecordingFile::State::Recording) {
        discard(r);
        return complete(
            common::Error(status::kDialogCanceled, "recording dropped without finish()"));
    }
    if (stopping) {
        return fail(common::Error(status::kOtherExecutionError,
                                  "media server stopping: recording incomplete"));
    }
    return false;
}

common::Status DiskWriter::drain(RecordingFile& r) {
    const std::size_t maxSamples = buffer_.size() / 2;
    for (;;) {
        const std::size_t avail = r.readable();
        if (avail == 0) return {};
        const std::size_t n = std::min(avail, maxSamples);
        const std::uint64_t newBytes = r.dataBytes_ + 2 * n;
        if (r.dataOffset_ + newBytes - 8 > kMaxRiffBytes) {
            return common::Error(status::kOtherExecutionError,
                                 "recording exceeds the 4 GiB WAV limit");
        }
        const std::uint64_t tail = r.tail_.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < n; ++i) {
            const auto v = static_cast<std::uint16_t>(
                r.ring_[static_cast<std::size_t>((tail + i) % r.capacity_)]);
            buffer_[2 * i] = static_cast<char>(v & 0xFF);
            buffer_[2 * i + 1] = static_cast<char>(v >> 8);
        }
        if (int err = writeAll(r.fd_, buffer_.data(), 2 * n, r.dataOffset_ + r.dataBytes_);
            err != 0) {
            return writeError(err);
        }
        r.dataBytes_ = newBytes;
        r.tail_.store(tail + n, std::memory_order_release);
    }
}

common::Status DiskWriter::finalize(RecordingFile& r, RecordingResult& result) {
    if (auto st = drain(r); !st) return st;
    const std::uint64_t fileBytes = r.dataOffset_ + r.dataBytes_;
    if (::ftruncate(r.fd_, static_cast<off_t>(fileBytes)) != 0) return writeError(errno);
    if (int err = writeLe32(r.fd_, static_cast<std::uint32_t>(fileBytes - 8), r.riffSizeOffset_);
        err != 0) {
        return writeError(err);
    }
    if (int err = writeLe32(r.fd_, static_cast<std::uint32_t>(r.dataBytes_), r.dataSizeOffset_);
        err != 0) {
        return writeError(err);
    }
    if (::fsync(r.fd_) != 0) return writeError(errno);
    const int fd = std::exchange(r.fd_, -1);
    if (::close(fd) != 0 && errno != EINTR) return writeError(errno);
    result.path = r.path_;
    result.bytes = fileBytes;
    result.duration = std::chrono::milliseconds(r.dataBytes_ / 2 * 1000 / kRate);
    return {};
}

void DiskWriter::discard(RecordingFile& r) {
    if (r.created_) {
        if (r.fd_ >= 0) ::close(std::exchange(r.fd_, -1));
        ::unlink(r.path_.c_str());
        return;
    }
    if (r.fd_ < 0) {
        // finalize() closed the file and then failed: reopen to put it back.
        r.fd_ = ::open(r.path_.c_str(), O_RDWR | O_CLOEXEC);
        if (r.fd_ < 0) return;
    }
    // Append: back to what it was, header sizes included.
    (void)::ftruncate(r.fd_, static_cast<off_t>(r.originalLength_));
    (void)writeLe32(r.fd_, r.originalRiffSize_, r.riffSizeOffset_);
    (void)writeLe32(r.fd_, r.originalDataSize_, r.dataSizeOffset_);
    (void)::fsync(r.fd_);
    ::close(std::exchange(r.fd_, -1));
}

}  // namespace parley::ms::ivr
