/* A Kafka cluster for shell tests: librdkafka's in-process mock cluster
 * (one broker on a loopback port), with topic TOPIC of PARTITIONS
 * partitions holding N JSON messages {"id": i, "x": i / 2} (i = 0..N-1,
 * spread over the partitions), and an empty topic OUT.  Prints the
 * bootstrap servers on a line, then serves until standard input ends.
 * usage: kafka_mock TOPIC PARTITIONS N OUT */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: kafka_mock TOPIC PARTITIONS N OUT\n");
        return 2;
    }
    int parts = atoi(argv[2]), n = atoi(argv[3]);
    char msg[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", msg, sizeof msg);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof msg);
    if (!rk) {
        fprintf(stderr, "kafka_mock: %s\n", msg);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc || rd_kafka_mock_topic_create(mc, argv[1], parts, 1) ||
        rd_kafka_mock_topic_create(mc, argv[4], 1, 1)) {
        fprintf(stderr, "kafka_mock: cannot create the cluster\n");
        return 1;
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    if (rd_kafka_conf_set(pc, "bootstrap.servers", bs, msg, sizeof msg)) {
        fprintf(stderr, "kafka_mock: %s\n", msg);
        return 1;
    }
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, msg, sizeof msg);
    if (!p) {
        fprintf(stderr, "kafka_mock: %s\n", msg);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char v[64];
        int len = snprintf(v, sizeof v, "{\"id\": %d, \"x\": %g}", i, i * 0.5);
        if (rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(argv[1]), RD_KAFKA_V_PARTITION(i % parts),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(v, (size_t)len), RD_KAFKA_V_END)) {
            fprintf(stderr, "kafka_mock: cannot produce\n");
            return 1;
        }
    }
    if (rd_kafka_flush(p, 10000)) {
        fprintf(stderr, "kafka_mock: messages not delivered\n");
        return 1;
    }
    rd_kafka_destroy(p);
    printf("%s\n", bs);
    fflush(stdout);
    while (getchar() != EOF)
        ;
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
