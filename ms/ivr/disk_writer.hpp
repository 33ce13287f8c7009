#pragma once
// DiskWriter: the thread that writes recordings (RFC 6231 <record>) to WAV files, so that
// a media worker never touches the disk.
//
// Threads and ownership:
// - Control thread: DiskWriter::start()/stop()/open()/wake(). open() creates the file (or,
//   with append, opens an existing 8 kHz PCM16 mono WAV to continue it; a missing file is
//   created) before it returns, so the usual errors come back at once: Error{430, reason}
//   (directory missing or not writable, not a WAV we can continue, too many open...).
// - Media worker: RecordingFile::write() and finish(). write() copies into a single-producer
//   single-consumer ring preallocated by open() (ringSeconds of 8 kHz audio): atomics and
//   memcpy only, no allocation, lock or syscall. It returns false when the ring is full (the
//   disk is too slow) or the recording has failed; the recording is then failed for good.
//   finish() marks the end; the writer drains what is left, patches the header, fsyncs and
//   closes the file and then calls done.
// - Any thread: RecordingFile::abandon() discards the recording.
// - Writer thread: wakes every flushPeriod (or on wake()/open()/stop()), drains every ring
//   into its file through one buffer, and runs every `done` callback, exactly once each:
//     Ok(RecordingResult)      after finish(): path, file size, duration of the whole file
//                              (for append, what was there plus what was added);
//     Error{419, "disk full"}  (or another write error): the file is removed, or for append
//                              truncated back to its original length; nothing half-written
//                              is ever reported as success; a ring overflow fails the same way;
//     Error{410, ...}          after abandon() (file removed or truncated likewise), or when
//                              the caller dropped its RecordingFile without finishing it;
//     Error{419, ...}          at stop() for a recording still in progress.
// - finish()/abandon() only set flags (no syscall): the writer notices them within
//   flushPeriod; control-thread code that wants it sooner calls wake().
// The destructor stops the writer. A WAV data chunk holds at most 4 GiB; a recording that
// would pass it fails with 419.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace parley::ms::ivr {

struct RecordingResult {
    std::filesystem::path path;
    std::uint64_t bytes = 0;  // size of the WAV file
    std::chrono::milliseconds duration{0};
};

using RecordingDone = std::function<void(common::Result<RecordingResult>)>;

class DiskWriter;

class RecordingFile {
  public:
    ~RecordingFile();
    RecordingFile(const RecordingFile&) = delete;
    RecordingFile& operator=(const RecordingFile&) = delete;

    // Media worker only: appends count samples (8 kHz mono). Wait-free.
    bool write(const std::int16_t* samples, std::size_t count);
    // Media worker: the recording is complete.
    void finish();
    // Any thread: discard it.
    void abandon();
    bool failed() const;

    const std::filesystem::path& path() const { return path_; }

  private:
    friend class DiskWriter;
    enum class State : int { Recording, Finishing, Abandoned, Failed };

    RecordingFile(std::filesystem::path path, std::size_t ringSamples, RecordingDone done);

    // Writer-thread side.
    std::size_t readable() const;

    const std::filesystem::path path_;
    std::unique_ptr<std::int16_t[]> ring_;
    const std::size_t capacity_;
    std::atomic<std::uint64_t> head_{0};  // samples written (producer)
    std::atomic<std::uint64_t> tail_{0};  // samples consumed (writer)
    std::atomic<State> state_{State::Recording};
    std::atomic<bool> overflow_{false};   // write() found the ring full
    std::atomic<bool> ownerGone_{false};  // the caller dropped its last handle
    RecordingDone done_;

    // Owned by the writer thread after open() returns.
    int fd_ = -1;
    bool append_ = false;
    bool created_ = false;                // open() created the file (remove it on failure)
    std::uint64_t originalLength_ = 0;    // file length before this recording (append)
    std::uint32_t originalRiffSize_ = 0;  // header fields before this recording (append)
    std::uint32_t originalDataSize_ = 0;
    std::uint64_t dataOffset_ = 0;  // first byte of the data chunk payload
    std::uint64_t riffSizeOffset_ = 4;
    std::uint64_t dataSizeOffset_ = 40;
    std::uint64_t dataBytes_ = 0;  // payload bytes in the file so far
};

struct DiskWriterConfig {
    std::chrono::seconds ringSeconds{4};
    std::chrono::milliseconds flushPeriod{200};
    std::size_t maxOpen = 1024;
};

class DiskWriter {
  public:
    using Config = DiskWriterConfig;  // a namespace-scope type, so that `= {}` below compiles

    explicit DiskWriter(Config config = {});
    ~DiskWriter();
    DiskWriter(const DiskWriter&) = delete;
    DiskWriter& operator=(const DiskWriter&) = delete;

    common::Status start();
    // Drains and completes finished recordings, fails those still in progress, joins.
    void stop();

    common::Result<std::shared_ptr<RecordingFile>> open(const std::filesystem::path& path,
                                                        bool append, RecordingDone done);

    // Control thread: have the writer run now instead of at the next period.
    void wake();

    std::size_t openCount() const;

  private:
    void run();
    void serviceAll(bool stopping);
    // Drains rec; returns true when rec is complete (done called) and can be dropped.
    bool service(const std::shared_ptr<RecordingFile>& rec, bool stopping);
    common::Status drain(RecordingFile& rec);
    common::Status finalize(RecordingFile& rec, RecordingResult& result);
    void discard(RecordingFile& rec);

    const Config config_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool wakeRequested_ = false;
    bool stopRequested_ = false;
    std::vector<std::shared_ptr<RecordingFile>> files_;  // guarded by mutex_
    std::thread thread_;
    std::vector<char> buffer_;  // writer thread: little-endian staging for write(2)
};

}  // namespace parley::ms::ivr
