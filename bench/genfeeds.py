#!/usr/bin/env python3
"""Writes N blog feeds of POSTS posts each into a folder, for bench/poll.sh.

The feeds look like what the RDO bloggers publish: half RSS 2.0 as WordPress writes it
(dc:creator, an excerpt ending in [...], content:encoded), a third Atom as Blogger writes it,
the rest JSON Feed; each post is several paragraphs of HTML with code, an image and links.
The same N and POSTS always give the same bytes.

Usage: bench/genfeeds.py OUT_DIR N [POSTS=20]   (BASE=http://host:port sets the links)
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

WORDS = ("rdo openstack packstack tripleo delorean dlrn trunk neutron nova keystone cinder "
         "glance swift ceph kolla puppet ansible container image upgrade release summit meetup "
         "gate review patch rpm centos fedora mirror build test the a of to and in is that for "
         "it with as was on be at by this we you from have are not").split()
START = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def paragraph(rng):
    return " ".join(words(rng, 9, 20).capitalize() + "." for _ in range(rng.randint(3, 6)))


def body(rng):
    parts = [f"<p>{escape(paragraph(rng))}</p>"]
    for k in range(rng.randint(3, 6)):
        if k == 1:
            parts.append("<pre><code>$ sudo yum install -y openstack-packstack\n"
                         "$ packstack --allinone</code></pre>")
        elif k == 2:
            parts.append(f'<p><img src="https://img.example.org/{rng.randint(1, 999)}.png" '
                         'alt="screenshot" width="600"/></p>')
        else:
            parts.append(f'<p>{escape(paragraph(rng))} <a href="https://docs.example.org/'
                         f'{rng.randint(1, 9999)}">read the docs</a>.</p>')
    return "\n".join(parts)


def wordpress(i, posts, rng, base):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/">',
           f"<channel><title>Blog {i}</title><link>{base}/blog{i}/</link>"
           f"<description>The blog of blogger {i}</description>"]
    for j in range(posts):
        when = START - timedelta(hours=5 * j + i % 11)
        html = body(rng)
        excerpt = html.split("</p>")[0] + " [&#8230;]</p>"
        out.append(
            f"<item><title>{escape(words(rng, 4, 9).title())}</title>"
            f"<link>{base}/blog{i}/{when:%Y/%m/%d}/post-{j}/</link>"
            f"<dc:creator><![CDATA[Blogger {i}]]></dc:creator>"
            f"<pubDate>{when:%a, %d %b %Y %H:%M:%S +0000}</pubDate>"
            f'<guid isPermaLink="false">{base}/blog{i}/?p={j}</guid>'
            f"<description><![CDATA[{excerpt}]]></description>"
            f"<content:encoded><![CDATA[{html}]]></content:encoded></item>")
    out.append("</channel></rss>")
    return "\n".join(out)


def blogger(i, posts, rng, base):
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           "<feed xmlns='http://www.w3.org/2005/Atom'>",
           f"<id>tag:blogger.com,1999:blog-{i}</id><title>Blog {i}</title>"
           f"<updated>{START:%Y-%m-%dT%H:%M:%SZ}</updated>"
           f"<link rel='alternate' href='{base}/blog{i}/'/>"
           f"<author><name>Blogger {i}</name><email>noreply@blogger.com</email></author>"]
    for j in range(posts):
        when = START - timedelta(hours=5 * j + i % 11)
        out.append(
            f"<entry><id>tag:blogger.com,1999:blog-{i}.post-{j}</id>"
            f"<published>{when:%Y-%m-%dT%H:%M:%SZ}</published>"
            f"<updated>{when:%Y-%m-%dT%H:%M:%SZ}</updated>"
            f"<title type='text'>{escape(words(rng, 4, 9).title())}</title>"
            f"<content type='html'>{escape(body(rng))}</content>"
            f"<link rel='alternate' type='text/html' href='{base}/blog{i}/{j}.html'/>"
            f"<author><name>Blogger {i}</name></author></entry>")
    out.append("</feed>")
    return "\n".join(out)


def json_feed(i, posts, rng, base):
    items = []
    for j in range(posts):
        when = START - timedelta(hours=5 * j + i % 11)
        items.append({"id": f"{base}/blog{i}/{j}", "url": f"{base}/blog{i}/{j}/",
                      "title": words(rng, 4, 9).title(), "content_html": body(rng),
                      "date_published": f"{when:%Y-%m-%dT%H:%M:%SZ}",
                      "authors": [{"name": f"Blogger {i}"}]})
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": f"Blog {i}",
                       "home_page_url": f"{base}/blog{i}/", "items": items})


def main():
    out_dir, n = sys.argv[1], int(sys.argv[2])
    posts = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    base = os.environ.get("BASE", "https://blogs.example.org")
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for i in range(n):
        rng = random.Random(i)
        kind = (wordpress, wordpress, wordpress, blogger, blogger, json_feed)[i % 6]
        text = kind(i, posts, rng, base)
        ext = "json" if kind is json_feed else "xml"
        with open(os.path.join(out_dir, f"feed{i}.{ext}"), "w", encoding="utf-8") as f:
            f.write(text)
        total += len(text.encode())
    print(f"{n} feeds, {n * posts} posts, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
