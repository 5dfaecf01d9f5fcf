/* The legal clocks of an incident for pages: the rules loaded at start from
 * workflows/legal-clocks.json, evaluated in Japanese with the English title
 * alongside. */
#include "app.h"
#include "wf/legal.h"
#include "web.h"

json_t *web_legal_clocks(const struct app *app, const json_t *facts)
{
	if (!app->legal || !facts)
		return json_array();
	json_t *ja = legal_evaluate(app->legal, facts, "ja");
	return ja ? ja : json_array();
}
