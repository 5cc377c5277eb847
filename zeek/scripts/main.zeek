##! What this package adds to the writer plugin, in the Zeek container and in a Zeek of
##! the operator's own (installed with zkg): the shipper's shared socket as the default
##! endpoint, records with the same fields as Zeek's own logs, a switch for Zeek's ASCII
##! logs, and a check that every stream named in send_logs or excluded_log_ids exists, so
##! that a typo stops Zeek instead of silently sending nothing.

module ZeekZmqShipper;

export {
	## Whether Zeek also writes its ASCII logs to disk. On by default, so that loading
	## the package into an existing Zeek changes nothing but adding the shipper; the
	## container sets it from ZEEK_DISK_LOGS, which is off by default there.
	const disk_logs = T &redef;
}

# The socket the shipper binds; the entrypoint's settings override it from
# ZEEK_ZMQ_WRITER_ENDPOINT.
redef LogZeroMQ::endpoint = "ipc:///run/zeek-zmq/zeek.sock";

# A local ipc hop to the shipper should not drop: the shipper's own queues are where
# drops are decided and counted.
redef LogZeroMQ::zmq_hwm = 100000;

# The writer's PUB socket connects; records written before the shipper's subscription
# arrives would be lost (ZeroMQ's slow joiner). Each log writer pauses this long after
# connecting, in its own thread, while Zeek queues the writes.
redef LogZeroMQ::zmq_connect_pause = 1000;

function check_streams(ids: set[Log::ID], setting: string)
	{
	for ( id in ids )
		{
		if ( id !in Log::active_streams )
			Reporter::fatal(fmt("%s names %s, which is not an active log stream: no loaded script creates it, or it is disabled", setting, id));
		}
	}

# After the streams are created (priority 5 in their modules) and before the writer
# plugin adds its filters (priority -5).
event zeek_init() &priority=-4
	{
	check_streams(LogZeroMQ::send_logs, "LogZeroMQ::send_logs (ZEEK_SEND_LOGS)");
	check_streams(LogZeroMQ::excluded_log_ids, "LogZeroMQ::excluded_log_ids (ZEEK_EXCLUDED_LOG_IDS)");
	}

# After the writer plugin has added its filters (priority -5): give each ZeroMQ filter the
# field choices of the stream's default filter. The plugin's filters log every &log field,
# but Zeek's scripts narrow some default filters (since Zeek 6, ssl.log leaves out the
# certificate's subject and issuer unless SSL::log_include_server_certificate_subject_issuer
# is set); without this the shipper's records would carry fields that Zeek's own logs
# do not, and a setting that changes the logs would not change the records.
event zeek_init() &priority=-6
	{
	for ( id in Log::active_streams )
		{
		local zmq = Log::get_filter(id, "default-zmq");
		local standard = Log::get_filter(id, "default");
		if ( zmq$name == "<not found>" || standard$name == "<not found>" )
			next;
		if ( standard?$include )
			zmq$include = standard$include;
		if ( standard?$exclude )
			zmq$exclude = standard$exclude;
		if ( standard?$field_name_map )
			zmq$field_name_map = standard$field_name_map;
		if ( standard?$scope_sep )
			zmq$scope_sep = standard$scope_sep;
		if ( standard?$ext_prefix )
			zmq$ext_prefix = standard$ext_prefix;
		if ( standard?$ext_func )
			zmq$ext_func = standard$ext_func;
		Log::add_filter(id, zmq);
		}
	}

# After the writer plugin has added its filters: say where the records go, and switch
# off the ASCII files unless they were asked for.
event zeek_init() &priority=-10
	{
	local sent = 0;
	for ( id in Log::active_streams )
		{
		if ( id in LogZeroMQ::excluded_log_ids ||
		     (|LogZeroMQ::send_logs| > 0 && id !in LogZeroMQ::send_logs) )
			next;
		++sent;
		}
	print fmt("zeek-zmq-shipper: %d of %d log streams go to %s", sent, |Log::active_streams|, LogZeroMQ::endpoint);
	# Zeek's stdout is buffered when it is not a terminal (a container's log): say
	# it now, not when Zeek exits, which on a live interface may be days away.
	flush_all();

	if ( disk_logs )
		return;
	for ( id in Log::active_streams )
		Log::remove_default_filter(id);
	}
