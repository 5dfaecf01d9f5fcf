// The dashboard refreshes itself: every 30 seconds while the tab is visible
// it asks for the page again with the ETag it has; the server answers 304
// Not Modified (nothing rendered, one small query) until something changed,
// and then the new page replaces the old one in place.
(function () {
	'use strict';
	var every = 30000;
	function current() { return document.getElementById('dash'); }
	function refresh() {
		var dash = current();
		if (!dash || document.hidden) return;
		fetch(location.pathname + location.search, {
			credentials: 'same-origin',
			cache: 'no-store',
			headers: { 'If-None-Match': dash.getAttribute('data-etag') || '' }
		}).then(function (r) {
			if (r.status !== 200) return null;
			return r.text();
		}).then(function (html) {
			if (!html) return;
			var doc = new DOMParser().parseFromString(html, 'text/html');
			var fresh = doc.getElementById('dash');
			var dash2 = current();
			if (!fresh || !dash2) return;
			// Keyboard users keep their place: the link that had the focus
			// has it again in the new page.
			var active = document.activeElement;
			var href = active && dash2.contains(active) ? active.getAttribute('href') : null;
			var node = document.importNode(fresh, true);
			dash2.replaceWith(node);
			if (href) {
				var links = node.querySelectorAll('a[href]');
				for (var i = 0; i < links.length; i++)
					if (links[i].getAttribute('href') === href) {
						links[i].focus({ preventScroll: true });
						break;
					}
			}
		}).catch(function () { /* offline for a moment: try again later */ });
	}
	setInterval(refresh, every);
	document.addEventListener('visibilitychange', function () {
		if (!document.hidden) refresh();
	});
})();
