#include <natty/nats/consumer.hpp>
#include <natty/nats/error.hpp>
#include <natty/util/subject.hpp>

namespace natty::nats {

namespace {

void apply(const OrderedConsumerConfig& config, jsSubOptions& options) {
    switch (config.deliver) {
    case DeliverPolicy::all:
        options.Config.DeliverPolicy = js_DeliverAll;
        break;
    case DeliverPolicy::new_only:
        options.Config.DeliverPolicy = js_DeliverNew;
        break;
    case DeliverPolicy::last:
        options.Config.DeliverPolicy = js_DeliverLast;
        break;
    case DeliverPolicy::by_start_time:
        options.Config.DeliverPolicy = js_DeliverByStartTime;
        options.Config.OptStartTime = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          config.start_time.time_since_epoch())
                                          .count();
        break;
    case DeliverPolicy::by_start_sequence:
        options.Config.DeliverPolicy = js_DeliverByStartSequence;
        options.Config.OptStartSeq = config.start_sequence;
        break;
    }
}

} // namespace

AsyncSubscription subscribe_ordered(JetStream& js,
                                    const OrderedConsumerConfig& config,
                                    AsyncSubscription::Handler on_message,
                                    AsyncSubscription::Completion on_complete) {
    require_stream_name(config.stream, "JetStream subscribe");
    if (const auto why = json_pasted_problem(config.subject)) {
        throw UsageError("JetStream subscribe: subject \"" + config.subject
                         + "\" cannot be a consumer filter: " + *why);
    }
    jsSubOptions options;
    check(jsSubOptions_Init(&options), "initialise JetStream subscribe options");
    options.Stream = config.stream.c_str();
    options.Ordered = true;
    apply(config, options);
    return AsyncSubscription::create(
        config.subject,
        [&](natsMsgHandler handler, void* closure) {
            natsSubscription* raw = nullptr;
            jsErrCode code{};
            const natsStatus status =
                js_Subscribe(&raw,
                             js.get(),
                             config.subject.empty() ? nullptr : config.subject.c_str(),
                             handler,
                             closure,
                             nullptr,
                             &options,
                             &code);
            check_js(status,
                     code,
                     "JetStream subscribe to stream \"" + config.stream + "\""
                         + (config.subject.empty() ? "" : " subject \"" + config.subject + "\""));
            return SubscriptionHandle(raw);
        },
        std::move(on_message),
        std::move(on_complete));
}

std::optional<std::vector<std::string>> stream_subjects(JetStream& js, const std::string& stream) {
    auto info = js.stream_info(stream);
    if (!info) {
        return std::nullopt;
    }
    return std::move(info->config.subjects);
}

} // namespace natty::nats
