"""An independent Kafka client for cohort's tests (Python confluent-kafka, not cohort's code).

    kafka_client.py produce BROKERS PREFIX FILE [RATE]   route lines by kind to PREFIX+topic, keyed by
                                                        community_id; RATE limits records per second
    kafka_client.py end-offsets BROKERS TOPIC...        {"TOPIC/PARTITION": high watermark, ...}
    kafka_client.py consume BROKERS TOPIC               every record as a JSON line: key, value, headers
"""

import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

TOPIC_OF_KIND = {
    "view": "views",
    "like": "likes",
    "payment": "payments",
    "chat": "chat",
    "item": "items",
    "member": "members",
    "checkin": "checkins",
    "erasure": "erasures",
}


def produce(brokers, prefix, path, rate=None):
    producer = Producer(
        {"bootstrap.servers": brokers, "enable.idempotence": True, "linger.ms": 5}
    )
    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(str(err))

    started = time.monotonic()
    count = 0
    with open(path, "rb") as lines:
        for line in lines:
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                topic = TOPIC_OF_KIND.get(event.get("kind"), "views")
                key = event.get("community_id")
            except (ValueError, AttributeError):
                topic, key = "views", None
            while True:
                try:
                    producer.produce(
                        prefix + topic,
                        value=line,
                        key=key.encode() if isinstance(key, str) else None,
                        on_delivery=delivered,
                    )
                    break
                except BufferError:
                    producer.poll(0.1)
            producer.poll(0)
            count += 1
            if rate and count % 100 == 0:
                ahead = count / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    remaining = producer.flush(300)
    if remaining or failures:
        sys.exit(f"{remaining} unflushed, failures: {failures[:5]}")
    print(count)


def consumer(brokers):
    return Consumer(
        {
            "bootstrap.servers": brokers,
            "group.id": "cohort-test-reader",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )


def partitions(client, topic):
    metadata = client.list_topics(topic, timeout=30)
    return sorted(metadata.topics[topic].partitions)


def end_offsets(brokers, topics):
    client = consumer(brokers)
    out = {}
    for topic in topics:
        for p in partitions(client, topic):
            _low, high = client.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            out[f"{topic}/{p}"] = high
    client.close()
    print(json.dumps(out, sort_keys=True))


def consume(brokers, topic):
    client = consumer(brokers)
    ends = {}
    assignment = []
    for p in partitions(client, topic):
        low, high = client.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
        if high > low:
            ends[p] = high
            assignment.append(TopicPartition(topic, p, low))
    client.assign(assignment)
    deadline = time.monotonic() + 60
    while ends and time.monotonic() < deadline:
        message = client.poll(1.0)
        if message is None or message.error():
            continue
        headers = {k: v.decode() for k, v in (message.headers() or [])}
        print(
            json.dumps(
                {
                    "partition": message.partition(),
                    "offset": message.offset(),
                    "key": message.key().decode() if message.key() else None,
                    "value": message.value().decode(errors="replace"),
                    "headers": headers,
                }
            )
        )
        if message.offset() + 1 >= ends.get(message.partition(), 0):
            ends.pop(message.partition(), None)
    client.close()
    if ends:
        sys.exit(f"timed out before the end of partitions {sorted(ends)}")


if __name__ == "__main__":
    command, brokers, *rest = sys.argv[1:]
    if command == "produce":
        produce(brokers, rest[0], rest[1], float(rest[2]) if len(rest) > 2 else None)
    elif command == "end-offsets":
        end_offsets(brokers, rest)
    elif command == "consume":
        consume(brokers, rest[0])
    else:
        sys.exit(__doc__)
