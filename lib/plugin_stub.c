/* plugin_stub.c — until branch plugins is merged (see plugin_stub.h). */
#include "plugin_stub.h"

jv
cf_plugin_tools(void)
{
	return jv_array();
}

jv
cf_plugin_tool(const char *plugin, const char *tool, jv input)
{
	jv_free(input);
	return cf_error(CF_EX_FAIL, "no plugin '%s' for tool '%s'", plugin, tool);
}
