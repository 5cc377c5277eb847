##! zeek-zmq-shipper's Zeek package: every log record goes to the shipper through the
##! ZeroMQ log writer. The container's entrypoint loads this package, then the settings
##! it generated from the environment (ZEEK_ZMQ_WRITER_*, ZEEK_SEND_LOGS, ...); a Zeek of
##! the operator's own loads it with `@load packages` once zkg has installed it.

# Installed by zkg, the writer plugin is also a package whose scripts `@load packages`
# loads from zkg's script directory; loading the plugin's own copy of the same scripts
# as well would define everything twice. Outside zkg (the container), load the plugin's.
@ifndef ( LogZeroMQ::send_logs )
@load NCSA/ZeroMQWriter
@endif
@load ./main
