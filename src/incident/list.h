/* The incident lists' query: what a person may see, with filters, search,
 * sorting and keyset pagination (the rows of /incidents, /my/reports and
 * /incidents.csv), and the choices of the filter form.
 *
 * Observables: ioc selects the incidents whose reported mail had it among
 * its indicators. Search: each word of q must occur in the incident's search text (see
 * sql/0008_dashboard.sql); the n-gram index finds candidates for words of
 * any length, strpos() confirms them. Pages are keyset-paginated: "after"
 * carries the sort key of the last row shown, never an OFFSET. */
#ifndef SOKUHO_INCIDENT_LIST_H
#define SOKUHO_INCIDENT_LIST_H

#include <jansson.h>
#include <libpq-fe.h>

#include "auth/authz.h"

struct engine;

/* The filters of a list, as given (for the form) and as understood. The
 * caller checks each value's form (the web's filters_parse) before asking
 * for rows. */
struct incident_filters {
	const char *q, *status, *state, *severity, *category, *site, *section, *from, *to, *sort,
		*after;
	/* an observable of a reported mail (sql/0030's mail_indicator): a domain
	 * (its subdomains too), a URL, an address, a Message-ID or a SHA-256,
	 * case-insensitive: "who else got this?" */
	const char *ioc;
	int overdue, legal;
	json_t *errors; /* field -> message */
};

/* The rows who may see (mine: only what they reported) that f selects,
 * sorted and after f->after, at most limit (ask one more than a page to
 * learn whether there is a next). *bad_after is set when f->after is not a
 * key of the sort. NULL on a database error or a bad after. Caller owns. */
json_t *incident_list_rows(PGconn *c, const struct principal *who,
			   const struct incident_filters *f, int mine, int limit, int *bad_after);

/* The choices of the filter form into form: "categories", "sites" and
 * "sections" ({value, label, selected}). */
void incident_filter_choices(PGconn *c, json_t *form, const struct incident_filters *f);

/* The states of the current version of every workflow, in file order,
 * grouped by workflow: [{title, states: [{value, title, title_en,
 * selected}]}], from the engine's cache of definitions (e; NULL: none). */
json_t *incident_state_choices(struct engine *e, PGconn *c, const char *current);

#endif
