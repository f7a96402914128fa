/* plugin_stub.h — until branch plugins is merged: its two tool calls.
 * Goes when include/confab.h declares them. */
#ifndef CONFAB_PLUGIN_STUB_H
#define CONFAB_PLUGIN_STUB_H
#include "confab.h"
jv cf_plugin_tools(void);
jv cf_plugin_tool(const char *plugin, const char *tool, jv input);
#endif
