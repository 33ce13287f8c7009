// The recording writer: valid WAVs of the right length, append, refusals at open (430),
// write failures (a file size limit standing in for a full disk) that remove the file,
// ring overflow, abandon, and a handle dropped without finish.

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <thread>

#include "audio_test_util.hpp"
#include "ms/ivr/disk_writer.hpp"
#include "ms/ivr/wav.hpp"

using namespace parley::ms::ivr;
using namespace parley::test::audio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using Outcome = parley::common::Result<RecordingResult>;

struct Recording {
    std::shared_ptr<Handoff<Outcome>> result = std::make_shared<Handoff<Outcome>>();
    RecordingDone done() {
        auto r = result;
        return [r](Outcome o) { r->set(std::move(o)); };
    }
};

std::vector<std::int16_t> frame(int seq) {
    std::vector<std::int16_t> f(160);
    for (int i = 0; i < 160; ++i)
        f[static_cast<std::size_t>(i)] = static_cast<std::int16_t>(seq * 160 + i);
    return f;
}

// Writes `frames` 20 ms frames (numbered from `first`), as a media worker would.
void writeFrames(RecordingFile& rec, int first, int frames) {
    for (int i = 0; i < frames; ++i) {
        const auto f = frame(first + i);
        REQUIRE(rec.write(f.data(), f.size()));
    }
}

// The samples frames first..first+n-1 would hold.
std::vector<std::int16_t> samplesOf(int first, int n) {
    std::vector<std::int16_t> out;
    for (int i = 0; i < n; ++i) {
        const auto f = frame(first + i);
        out.insert(out.end(), f.begin(), f.end());
    }
    return out;
}

// Restores RLIMIT_FSIZE and SIGXFSZ when the test ends.
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &old_);
        oldHandler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit lim = old_;
        lim.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &lim);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, oldHandler_);
    }

  private:
    rlimit old_{};
    void (*oldHandler_)(int) = nullptr;
};

}  // namespace

TEST_CASE("ivr_audio: write then finish gives a valid WAV of the right length",
          "[ivr_audio][disk]") {
    TempDir dir;
    DiskWriter writer({4s, 20ms, 16});
    REQUIRE(writer.start().ok());
    Recording rec;
    const auto path = dir.path() / "rec.wav";
    auto file = writer.open(path, false, rec.done());
    REQUIRE(file.ok());
    CHECK(fs::exists(path));  // created at open
    CHECK(fs::file_size(path) == kWavHeaderBytes);
    writeFrames(**file, 0, 150);  // 3 s: fits the 4 s ring even if the writer sleeps
    (*file)->finish();
    writer.wake();
    auto out = rec.result->wait();
    REQUIRE(out);
    REQUIRE(out->ok());
    CHECK((*out)->path == path);
    CHECK((*out)->duration == 3000ms);
    CHECK((*out)->bytes == 44 + 150 * 320);
    const std::string bytes = readBytes(path);
    CHECK(bytes.size() == 44 + 150 * 320);
    CHECK(bytes.substr(0, 44) == wavHeader(8000, 150 * 320));
    auto pcm = decodeWav(bytes, "rec");
    REQUIRE(pcm.ok());
    CHECK(pcm->samples == samplesOf(0, 150));
    CHECK_FALSE((*file)->failed());
    CHECK_FALSE((*file)->write(frame(0).data(), 160));  // finished: no more writes
}

TEST_CASE("ivr_audio: writes race the writer thread without loss", "[ivr_audio][disk]") {
    TempDir dir;
    DiskWriter writer({4s, 1ms, 16});
    REQUIRE(writer.start().ok());
    Recording rec;
    auto file = writer.open(dir.path() / "race.wav", false, rec.done());
    REQUIRE(file.ok());
    // 20 s through a 4 s ring, paced a little so the writer keeps up
    for (int i = 0; i < 1000; ++i) {
        const auto f = frame(i);
        REQUIRE((*file)->write(f.data(), f.size()));
        if (i % 5 == 0) std::this_thread::sleep_for(1ms);
    }
    (*file)->finish();
    auto out = rec.result->wait();
    REQUIRE(out);
    REQUIRE(out->ok());
    auto pcm = decodeWav(readBytes(dir.path() / "race.wav"), "rec");
    REQUIRE(pcm.ok());
    CHECK(pcm->samples == samplesOf(0, 1000));
}

TEST_CASE("ivr_audio: append continues an existing recording", "[ivr_audio][disk]") {
    TempDir dir;
    DiskWriter writer({4s, 20ms, 16});
    REQUIRE(writer.start().ok());
    const auto path = dir.path() / "a.wav";
    {
        Recording rec;
        auto file = writer.open(path, false, rec.done());
        REQUIRE(file.ok());
        writeFrames(**file, 0, 50);
        (*file)->finish();
        auto out = rec.result->wait();
        REQUIRE((out && out->ok()));
    }
    {
        Recording rec;
        auto file = writer.open(path, true, rec.done());
        REQUIRE(file.ok());
        writeFrames(**file, 50, 25);
        (*file)->finish();
        auto out = rec.result->wait();
        REQUIRE(out);
        REQUIRE(out->ok());
        CHECK((*out)->duration == 1500ms);
        CHECK((*out)->bytes == 44 + 75 * 320);
    }
    auto pcm = decodeWav(readBytes(path), "a");
    REQUIRE(pcm.ok());
    CHECK(pcm->samples == samplesOf(0, 75));
    CHECK(readBytes(path).substr(0, 44) == wavHeader(8000, 75 * 320));

    SECTION("append to a missing file creates it") {
        Recording rec;
        auto file = writer.open(dir.path() / "new.wav", true, rec.done());
        REQUIRE(file.ok());
        writeFrames(**file, 0, 10);
        (*file)->finish();
        auto out = rec.result->wait();
        REQUIRE((out && out->ok()));
        CHECK((*out)->duration == 200ms);
    }
    SECTION("append to a WAV with a LIST chunk before the data") {
        const auto p = dir.path() / "list.wav";
        std::string w = encodeWav(PcmAudio{samplesOf(0, 5), 8000, ""});
        const std::string list = std::string("LIST") + std::string("\x04\x00\x00\x00", 4) + "abcd";
        w.insert(36, list);
        writeFile(p, w);
        Recording rec;
        auto file = writer.open(p, true, rec.done());
        REQUIRE(file.ok());
        writeFrames(**file, 5, 5);
        (*file)->finish();
        auto out = rec.result->wait();
        REQUIRE((out && out->ok()));
        auto back = decodeWav(readBytes(p), "l");
        REQUIRE(back.ok());
        CHECK(back->samples == samplesOf(0, 10));
    }
}

TEST_CASE("ivr_audio: open refuses what it cannot record to with 430", "[ivr_audio][disk]") {
    TempDir dir;
    DiskWriter writer({4s, 20ms, 2});
    Recording r0;
    auto notRunning = writer.open(dir.path() / "x.wav", false, r0.done());
    REQUIRE_FALSE(notRunning.ok());
    CHECK(notRunning.error().code == 430);
    REQUIRE(writer.start().ok());

    Recording r1;
    auto missingDir = writer.open(dir.path() / "nope" / "x.wav", false, r1.done());
    REQUIRE_FALSE(missingDir.ok());
    CHECK(missingDir.error().code == 430);
    CHECK(missingDir.error().message.find("directory does not exist") != std::string::npos);

    auto isDir = writer.open(dir.path(), false, r1.done());
    REQUIRE_FALSE(isDir.ok());
    CHECK(isDir.error().code == 430);

    writeFile(dir.path() / "text.wav", "this is not a wav file at all");
    auto notWav = writer.open(dir.path() / "text.wav", true, r1.done());
    REQUIRE_FALSE(notWav.ok());
    CHECK(notWav.error().code == 430);
    CHECK(readBytes(dir.path() / "text.wav") == "this is not a wav file at all");

    writeFile(dir.path() / "stereo.wav", makeWav({Fmt::S16, 2, 8000}, tone(1000, 8000, 80)));
    auto stereo = writer.open(dir.path() / "stereo.wav", true, r1.done());
    REQUIRE_FALSE(stereo.ok());
    CHECK(stereo.error().code == 430);

    Recording a, b, c;
    auto fa = writer.open(dir.path() / "a.wav", false, a.done());
    auto fb = writer.open(dir.path() / "b.wav", false, b.done());
    auto fc = writer.open(dir.path() / "c.wav", false, c.done());
    REQUIRE(fa.ok());
    REQUIRE(fb.ok());
    REQUIRE_FALSE(fc.ok());
    CHECK(fc.error().code == 430);
    CHECK_FALSE(fs::exists(dir.path() / "c.wav"));
    (*fa)->abandon();
    (*fb)->abandon();
    writer.wake();
    CHECK(a.result->wait());
    CHECK(b.result->wait());
    // refused opens never call done
    CHECK_FALSE(r1.result->wait(50ms));
    CHECK_FALSE(c.result->wait(10ms));
}

TEST_CASE("ivr_audio: a write failure (disk full) fails the recording and removes the file",
          "[ivr_audio][disk]") {
    TempDir dir;
    DiskWriter writer({30s, 20ms, 16});
    REQUIRE(writer.start().ok());
    // Stand in for a full disk: no file may grow past 64 KiB (EFBIG, like ENOSPC).
    FileSizeLimit limit(64 * 1024);
    Recording rec;
    const auto path = dir.path() / "full.wav";
    auto file = writer.open(path, false, rec.done());
    REQUIRE(file.ok());
    // 10 s = 160 KB; the writer may fail the recording while this runs, and then write()
    // says so
    bool refused = false;
    for (int i = 0; i < 500; ++i) {
        const auto f = frame(i);
        if (!(*file)->write(f.data(), f.size())) {
            refused = true;
            break;
        }
    }
    if (!refused) (*file)->finish();
    writer.wake();
    auto out = rec.result->wait();
    REQUIRE(out);
    REQUIRE_FALSE(out->ok());
    CHECK(out->error().code == 419);
    CHECK_FALSE(out->error().message.empty());
    CHECK_FALSE(fs::exists(path));
    CHECK((*file)->failed());
    CHECK_FALSE((*file)->write(frame(0).data(), 160));
}

TEST_CASE("ivr_audio: a failed append truncates the file back to what it was",
          "[ivr_audio][disk]") {
    TempDir dir;
    const auto path = dir.path() / "keep.wav";
    const std::string original = encodeWav(PcmAudio{samplesOf(0, 100), 8000, ""});
    writeFile(path, original);
    DiskWriter writer({30s, 20ms, 16});
    REQUIRE(writer.start().ok());
    FileSizeLimit limit(64 * 1024);
    Recording rec;
    auto file = writer.open(path, true, rec.done());
    REQUIRE(file.ok());
    for (int i = 100; i < 600; ++i) {
        const auto f = frame(i);
        if (!(*file)->write(f.data(), f.size())) break;
    }
    (*file)->finish();
    auto out = rec.result->wait();
    REQUIRE(out);
    REQUIRE_FALSE(out->ok());
    CHECK(out->error().code == 419);
    CHECK(readBytes(path) == original);
}

TEST_CASE("ivr_audio: ring overflow fails the recording", "[ivr_audio][disk]") {
    TempDir dir;
    // The writer wakes on open, then sleeps 10 s: nothing drains the 1 s ring meanwhile.
    DiskWriter writer({1s, 10s, 16});
    REQUIRE(writer.start().ok());
    Recording rec;
    const auto path = dir.path() / "slow.wav";
    auto file = writer.open(path, false, rec.done());
    REQUIRE(file.ok());
    bool overflowed = false;
    for (int i = 0; i < 200 && !overflowed; ++i) {
        const auto f = frame(i);
        overflowed = !(*file)->write(f.data(), f.size());
    }
    REQUIRE(overflowed);
    CHECK((*file)->failed());
    CHECK_FALSE((*file)->write(frame(0).data(), 1));
    writer.wake();
    auto out = rec.result->wait();
    REQUIRE(out);
    REQUIRE_FALSE(out->ok());
    CHECK(out->error().code == 419);
    CHECK(out->error().message.find("overflow") != std::string::npos);
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("ivr_audio: abandon discards the recording with 410", "[ivr_audio][disk]") {
    TempDir dir;
    DiskWriter writer({4s, 20ms, 16});
    REQUIRE(writer.start().ok());
    Recording rec;
    const auto path = dir.path() / "gone.wav";
    auto file = writer.open(path, false, rec.done());
    REQUIRE(file.ok());
    writeFrames(**file, 0, 20);
    (*file)->abandon();
    writer.wake();
    auto out = rec.result->wait();
    REQUIRE(out);
    REQUIRE_FALSE(out->ok());
    CHECK(out->error().code == 410);
    CHECK_FALSE(fs::exists(path));
    CHECK(writer.openCount() == 0);

    SECTION("dropping the handle without finish() is an abandon") {
        Recording r2;
        auto f2 = writer.open(dir.path() / "dropped.wav", false, r2.done());
        REQUIRE(f2.ok());
        writeFrames(**f2, 0, 5);
        f2 = parley::common::Error(0, "dropped");
        writer.wake();
        auto o2 = r2.result->wait();
        REQUIRE(o2);
        REQUIRE_FALSE(o2->ok());
        CHECK(o2->error().code == 410);
        CHECK_FALSE(fs::exists(dir.path() / "dropped.wav"));
    }
}

TEST_CASE("ivr_audio: stop completes finished recordings and fails the others",
          "[ivr_audio][disk]") {
    TempDir dir;
    Recording done, cut;
    {
        DiskWriter writer({4s, 10s, 16});
        REQUIRE(writer.start().ok());
        auto f1 = writer.open(dir.path() / "done.wav", false, done.done());
        auto f2 = writer.open(dir.path() / "cut.wav", false, cut.done());
        REQUIRE(f1.ok());
        REQUIRE(f2.ok());
        writeFrames(**f1, 0, 10);
        writeFrames(**f2, 0, 10);
        (*f1)->finish();
        writer.stop();
    }
    auto o1 = done.result->wait(0ms);
    auto o2 = cut.result->wait(0ms);
    REQUIRE(o1);
    REQUIRE(o2);
    CHECK(o1->ok());
    REQUIRE_FALSE(o2->ok());
    CHECK(o2->error().code == 419);
    CHECK(fs::exists(dir.path() / "done.wav"));
    CHECK_FALSE(fs::exists(dir.path() / "cut.wav"));
}
