##! zeek-zmq-shipper's Zeek package: every log record goes to the shipper through the
##! ZeroMQ log writer. The container's entrypoint loads this package, then the settings
##! it generated from the environment (ZEEK_ZMQ_WRITER_*, ZEEK_SEND_LOGS, ...).

@load NCSA/ZeroMQWriter
@load ./main
