#include <natty/error.hpp>
#include <natty/nats/library.hpp>
#include <natty/nats/message.hpp>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>

namespace natty::nats {
namespace {

// nats.c allocates the key/value arrays it returns; this frees them when the scope ends.
struct FreeArray {
    void operator()(const char** array) const noexcept {
        std::free(static_cast<void*>(array)); // NOLINT: nats.c allocated it with malloc
    }
};
using CharArray = std::unique_ptr<const char*, FreeArray>;

} // namespace

Message Message::create(std::string_view subject, std::string_view reply, std::string_view data) {
    open_library(); // natsMsg_Destroy hands messages to nats.c's garbage collector
    if (data.size() > static_cast<std::size_t>(INT_MAX)) {
        throw UsageError("payload of " + std::to_string(data.size()) + " bytes is too large");
    }
    const std::string subj(subject);
    const std::string rep(reply);
    return Message(make<MessageHandle>("create message",
                                       natsMsg_Create,
                                       subj.c_str(),
                                       rep.empty() ? nullptr : rep.c_str(),
                                       data.data(),
                                       static_cast<int>(data.size())));
}

std::string_view Message::subject() const {
    const char* s = natsMsg_GetSubject(m_msg.get());
    return s == nullptr ? std::string_view() : std::string_view(s);
}

std::string_view Message::reply() const {
    const char* s = natsMsg_GetReply(m_msg.get());
    return s == nullptr ? std::string_view() : std::string_view(s);
}

std::string_view Message::data() const {
    const char* d = natsMsg_GetData(m_msg.get());
    const int len = natsMsg_GetDataLength(m_msg.get());
    if (d == nullptr || len <= 0) {
        return {};
    }
    return {d, static_cast<std::size_t>(len)};
}

Headers Message::headers() const {
    Headers out;
    const char** raw_keys = nullptr;
    int key_count = 0;
    if (natsMsgHeader_Keys(m_msg.get(), &raw_keys, &key_count) != NATS_OK || raw_keys == nullptr) {
        nats_GetLastError(nullptr);
        return out;
    }
    CharArray keys(raw_keys);
    for (int i = 0; i < key_count; ++i) {
        const char* key = raw_keys[i];
        std::vector<std::string> values;
        const char** raw_values = nullptr;
        int value_count = 0;
        if (natsMsgHeader_Values(m_msg.get(), key, &raw_values, &value_count) == NATS_OK
            && raw_values != nullptr) {
            CharArray owned(raw_values);
            for (int v = 0; v < value_count; ++v) {
                values.emplace_back(raw_values[v] == nullptr ? "" : raw_values[v]);
            }
        }
        out.emplace_back(key, std::move(values));
    }
    std::sort(
        out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

std::string Message::header(const char* key) const {
    const char* value = nullptr;
    if (natsMsgHeader_Get(m_msg.get(), key, &value) != NATS_OK || value == nullptr) {
        return {};
    }
    return value;
}

std::optional<JetStreamPosition> Message::jetstream_position() const {
    jsMsgMetaData* raw = nullptr;
    if (natsMsg_GetMetaData(&raw, m_msg.get()) != NATS_OK || raw == nullptr) {
        nats_GetLastError(nullptr); // not a JetStream reply subject: clear the library's error
        return std::nullopt;
    }
    const std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData_Destroy>> meta(raw);
    JetStreamPosition position;
    position.stream = meta->Stream != nullptr ? meta->Stream : "";
    position.stream_sequence = meta->Sequence.Stream;
    position.consumer_sequence = meta->Sequence.Consumer;
    position.time = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(meta->Timestamp)));
    return position;
}

void Message::add_header(const std::string& key, const std::string& value) {
    check(natsMsgHeader_Add(m_msg.get(), key.c_str(), value.c_str()), "set header \"" + key + "\"");
}

std::size_t header_wire_size(const Headers& headers) {
    if (headers.empty()) {
        return 0;
    }
    std::size_t size = 12; // "NATS/1.0\r\n" + final "\r\n"
    for (const auto& [key, values] : headers) {
        for (const auto& value : values) {
            size += key.size() + 2 + value.size() + 2;
        }
    }
    return size;
}

} // namespace natty::nats
