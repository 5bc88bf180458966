<?php
/*
 * Bridge from Python to a test bed's WordPress (testing/wordpress_live.py).
 *
 *   php bridge.php DOCROOT IN.json OUT.json
 *
 * IN.json is {"ops": [{"op": NAME, "args": {...}}, ...]}; every op runs in order inside one
 * PHP process that has loaded wp-load.php, and OUT.json gets {"results": [...]} (one result
 * per op) or {"error": "...", "index": i} for the first op that failed. Anything WordPress
 * prints goes to stdout/stderr and is not part of the answer.
 *
 * In an op's args, {"$ref": k} (anywhere at the top level) is replaced by the "id" of the
 * result of op k of the same batch, so one batch can insert a post and replies to comments
 * inserted before them.
 */
if ($argc < 4) {
    fwrite(STDERR, "usage: php bridge.php DOCROOT IN.json OUT.json\n");
    exit(2);
}
list(, $docroot, $in_file, $out_file) = $argv;
$request = json_decode(file_get_contents($in_file), true);
if (!is_array($request)) {
    file_put_contents($out_file, json_encode(array('error' => 'unreadable request', 'index' => -1)));
    exit(1);
}
$ops = $request['ops'];
$installing = !empty($request['installing']);
$home = $request['home'];
$u = parse_url($home);
$_SERVER['HTTP_HOST'] = $u['host'] . (isset($u['port']) ? ':' . $u['port'] : '');
$_SERVER['SERVER_NAME'] = $u['host'];
$_SERVER['SERVER_PORT'] = isset($u['port']) ? $u['port'] : 80;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
if ($installing) {
    define('WP_INSTALLING', true);
}
require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/taxonomy.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require_once ABSPATH . 'wp-admin/includes/theme.php';

class BridgeError extends Exception {
}

function tb_date($value) {
    if ($value === null || $value === '') {
        return null;
    }
    $value = str_replace('T', ' ', (string) $value);
    $value = preg_replace('/(Z|[+-]\d\d:?\d\d)$/', '', $value);
    $value = preg_replace('/\.\d+$/', '', $value);
    if (strlen($value) === 16) {
        $value .= ':00';
    }
    return $value;
}

/* Both the local and the GMT time of an item, from whichever was given. */
function tb_dates($args) {
    $local = tb_date(isset($args['date']) ? $args['date'] : null);
    $gmt = tb_date(isset($args['date_gmt']) ? $args['date_gmt'] : null);
    if ($local === null && $gmt === null) {
        $gmt = gmdate('Y-m-d H:i:s');
    }
    if ($local === null) {
        $local = get_date_from_gmt($gmt);
    }
    if ($gmt === null) {
        $gmt = get_gmt_from_date($local);
    }
    return array($local, $gmt);
}

function tb_user_for($name) {
    static $cache = array();
    if (isset($cache[$name])) {
        return $cache[$name];
    }
    $slug = sanitize_title($name);
    if ($slug === '') {
        $slug = 'author-' . substr(md5($name), 0, 8);
    }
    $user = get_user_by('login', $slug);
    if (!$user) {
        $id = wp_insert_user(array(
            'user_login' => $slug,
            'user_nicename' => $slug,
            'user_pass' => wp_generate_password(24),
            'user_email' => $slug . '@example.org',
            'display_name' => $name,
            'nickname' => $name,
            'role' => 'author',
        ));
        if (is_wp_error($id)) {
            throw new BridgeError('user ' . $name . ': ' . $id->get_error_message());
        }
        $user = get_user_by('id', $id);
    }
    return $cache[$name] = $user;
}

function tb_term_ids($names, $taxonomy) {
    $ids = array();
    foreach ((array) $names as $name) {
        $term = term_exists($name, $taxonomy);
        if (!$term) {
            $term = wp_insert_term($name, $taxonomy);
            if (is_wp_error($term)) {
                throw new BridgeError($taxonomy . ' ' . $name . ': ' . $term->get_error_message());
            }
        }
        $ids[] = (int) (is_array($term) ? $term['term_id'] : $term);
    }
    return $ids;
}

function tb_post_row($post) {
    $post = get_post($post);
    $author = get_userdata($post->post_author);
    return array(
        'id' => (int) $post->ID,
        'title' => $post->post_title,
        'slug' => $post->post_name,
        'link' => get_permalink($post),
        'date' => $post->post_date,
        'date_gmt' => $post->post_date_gmt,
        'modified_gmt' => $post->post_modified_gmt,
        'author' => $author ? $author->display_name : null,
        'categories' => wp_get_post_categories($post->ID, array('fields' => 'names')),
        'tags' => wp_get_post_tags($post->ID, array('fields' => 'names')),
        'content' => $post->post_content,
        'status' => $post->post_status,
        'type' => $post->post_type,
        'comment_count' => (int) $post->comment_count,
    );
}

function tb_comment_row($c, $with_links, $with_pages) {
    $row = array(
        'id' => (int) $c->comment_ID,
        'post_id' => (int) $c->comment_post_ID,
        'author' => $c->comment_author,
        'author_email' => $c->comment_author_email,
        'author_url' => $c->comment_author_url,
        'date' => $c->comment_date,
        'date_gmt' => $c->comment_date_gmt,
        'content' => $c->comment_content,
        'parent' => (int) $c->comment_parent,
        'approved' => $c->comment_approved,
        'type' => $c->comment_type,
        'user_id' => (int) $c->user_id,
    );
    if ($with_links) {
        $row['link'] = get_comment_link($c);
    }
    if ($with_pages) {
        $row['page'] = (int) get_page_of_comment($c->comment_ID);
    }
    return $row;
}

function tb_set_permalinks($structure, $rewrite = null) {
    global $wp_rewrite, $docroot;
    $wp_rewrite->set_permalink_structure($structure);
    flush_rewrite_rules(false);
    if ($rewrite === null) {
        $rewrite = $structure !== '';
    }
    $flag = $docroot . '/.testbed-no-rewrite';
    if ($rewrite) {
        @unlink($flag);
    } else {
        file_put_contents($flag, "plain permalinks: no rewriting\n");
    }
    return array('permalink_structure' => get_option('permalink_structure'), 'rewrite' => (bool) $rewrite);
}

function tb_comment_status($id, $status) {
    $ok = wp_set_comment_status((int) $id, $status, true);
    if (is_wp_error($ok) || !$ok) {
        throw new BridgeError("comment $id: cannot set status $status");
    }
    return array('id' => (int) $id, 'approved' => get_comment((int) $id)->comment_approved);
}

function tb_run($op, $args) {
    global $wpdb, $docroot;
    switch ($op) {
    case 'install':
        $result = wp_install(
            isset($args['title']) ? $args['title'] : 'Test bed',
            isset($args['user']) ? $args['user'] : 'admin',
            isset($args['email']) ? $args['email'] : 'admin@example.org',
            true,
            '',
            isset($args['password']) ? $args['password'] : 'admin'
        );
        return array('user_id' => (int) $result['user_id']);

    case 'delete_sample_content':
        /* The "Hello world!" post, its comment and the sample page that wp_install() made. */
        $gone = array();
        foreach (get_posts(array('post_type' => array('post', 'page'), 'post_status' => 'any',
            'numberposts' => -1, 'fields' => 'ids')) as $id) {
            wp_delete_post($id, true);
            $gone[] = (int) $id;
        }
        return array('deleted_posts' => $gone);

    case 'delete_post':
        wp_delete_post((int) $args['id'], !empty($args['force']));
        return array('id' => (int) $args['id']);

    case 'ping':
        return array('wp_version' => get_bloginfo('version'), 'home' => home_url('/'));

    case 'insert_post':
        list($local, $gmt) = tb_dates($args);
        $data = array(
            'post_title' => isset($args['title']) ? $args['title'] : '',
            'post_content' => isset($args['content']) ? $args['content'] : '',
            'post_excerpt' => isset($args['excerpt']) ? $args['excerpt'] : '',
            'post_status' => isset($args['status']) ? $args['status'] : 'publish',
            'post_type' => isset($args['type']) ? $args['type'] : 'post',
            'post_date' => $local,
            'post_date_gmt' => $gmt,
            'comment_status' => isset($args['comment_status']) ? $args['comment_status'] : 'open',
            'ping_status' => 'closed',
        );
        if (!empty($args['slug'])) {
            $data['post_name'] = $args['slug'];
        }
        if (!empty($args['id'])) {
            if (get_post((int) $args['id'])) {
                throw new BridgeError('post id ' . $args['id'] . ' is taken');
            }
            $data['import_id'] = (int) $args['id'];
        }
        $data['post_author'] = !empty($args['author']) ? tb_user_for($args['author'])->ID : 1;
        if (!empty($args['categories'])) {
            $data['post_category'] = tb_term_ids($args['categories'], 'category');
        }
        if (!empty($args['tags'])) {
            $data['tags_input'] = array_values((array) $args['tags']);
        }
        $id = wp_insert_post(wp_slash($data), true);
        if (is_wp_error($id)) {
            throw new BridgeError('insert_post: ' . $id->get_error_message());
        }
        if (!empty($args['id']) && (int) $id !== (int) $args['id']) {
            throw new BridgeError("insert_post: got id $id, not " . $args['id']);
        }
        return array('id' => (int) $id, 'link' => get_permalink($id));

    case 'insert_comment':
        list($local, $gmt) = tb_dates($args);
        $post_id = (int) $args['post_id'];
        if (!get_post($post_id)) {
            throw new BridgeError("insert_comment: no post $post_id");
        }
        $approved = isset($args['approved']) ? $args['approved'] : 1;
        if ($approved === true) {
            $approved = 1;
        } elseif ($approved === false) {
            $approved = 0;
        }
        $data = array(
            'comment_post_ID' => $post_id,
            'comment_author' => isset($args['author']) ? $args['author'] : '',
            'comment_author_email' => isset($args['author_email']) ? $args['author_email'] : '',
            'comment_author_url' => isset($args['author_url']) && $args['author_url'] ? $args['author_url'] : '',
            'comment_author_IP' => '127.0.0.1',
            /* As wp_new_comment() files it for a visitor: through kses with the comment tags. */
            'comment_content' => empty($args['raw'])
                ? wp_kses_data(isset($args['content']) ? $args['content'] : '')
                : (isset($args['content']) ? $args['content'] : ''),
            'comment_date' => $local,
            'comment_date_gmt' => $gmt,
            'comment_parent' => isset($args['parent']) ? (int) $args['parent'] : 0,
            'comment_approved' => (string) $approved,
            'comment_type' => isset($args['type']) ? $args['type'] : 'comment',
            'comment_agent' => 'testbed',
            'user_id' => 0,
        );
        if (!empty($args['by_post_author'])) {
            $author = get_userdata(get_post($post_id)->post_author);
            $data['user_id'] = (int) $author->ID;
            if ($data['comment_author'] === '') {
                $data['comment_author'] = $author->display_name;
            }
            $data['comment_author_email'] = $author->user_email;
        }
        if (!empty($args['user_id'])) {
            $data['user_id'] = (int) $args['user_id'];
        }
        $id = wp_insert_comment(wp_slash($data));
        if (!$id) {
            throw new BridgeError('insert_comment failed: ' . $wpdb->last_error);
        }
        if (!empty($args['id']) && (int) $args['id'] !== (int) $id) {
            /* WordPress has no import_id for comments: renumber the row we just made. */
            $want = (int) $args['id'];
            if (get_comment($want)) {
                throw new BridgeError("comment id $want is taken");
            }
            $wpdb->update($wpdb->comments, array('comment_ID' => $want), array('comment_ID' => $id));
            $wpdb->update($wpdb->commentmeta, array('comment_id' => $want), array('comment_id' => $id));
            clean_comment_cache(array($id, $want));
            $id = $want;
        }
        return array('id' => (int) $id);

    case 'update_comment':
        $data = array('comment_ID' => (int) $args['id']);
        $map = array('content' => 'comment_content', 'author' => 'comment_author',
            'author_email' => 'comment_author_email', 'author_url' => 'comment_author_url',
            'parent' => 'comment_parent', 'approved' => 'comment_approved');
        foreach ($map as $k => $field) {
            if (array_key_exists($k, $args)) {
                $data[$field] = $args[$k];
            }
        }
        if (isset($args['date']) || isset($args['date_gmt'])) {
            list($data['comment_date'], $data['comment_date_gmt']) = tb_dates($args);
        }
        $r = wp_update_comment(wp_slash($data), true);
        if (is_wp_error($r) || $r === false) {
            throw new BridgeError('update_comment: ' . (is_wp_error($r) ? $r->get_error_message() : 'failed'));
        }
        return array('id' => (int) $args['id'], 'updated' => (int) $r);

    case 'trash_comment':
        if (!wp_trash_comment((int) $args['id'])) {
            throw new BridgeError('trash_comment ' . $args['id'] . ' failed');
        }
        return array('id' => (int) $args['id'], 'approved' => get_comment((int) $args['id'])->comment_approved);
    case 'untrash_comment':
        wp_untrash_comment((int) $args['id']);
        return array('id' => (int) $args['id'], 'approved' => get_comment((int) $args['id'])->comment_approved);
    case 'approve_comment':
        return tb_comment_status($args['id'], 'approve');
    case 'unapprove_comment':
        return tb_comment_status($args['id'], 'hold');
    case 'spam_comment':
        return tb_comment_status($args['id'], 'spam');
    case 'set_comment_status':
        return tb_comment_status($args['id'], $args['status']);
    case 'delete_comment':
        if (!wp_delete_comment((int) $args['id'], true)) {
            throw new BridgeError('delete_comment ' . $args['id'] . ' failed');
        }
        return array('id' => (int) $args['id']);

    case 'update_post':
        $data = array('ID' => (int) $args['id']);
        $map = array('title' => 'post_title', 'content' => 'post_content', 'status' => 'post_status',
            'comment_status' => 'comment_status', 'slug' => 'post_name');
        foreach ($map as $k => $field) {
            if (array_key_exists($k, $args)) {
                $data[$field] = $args[$k];
            }
        }
        $r = wp_update_post(wp_slash($data), true);
        if (is_wp_error($r)) {
            throw new BridgeError('update_post: ' . $r->get_error_message());
        }
        return array('id' => (int) $r, 'link' => get_permalink($r));

    case 'set_options':
        $done = array();
        foreach ($args as $name => $value) {
            if ($name === 'permalink_structure') {
                $done = array_merge($done, tb_set_permalinks((string) $value));
                continue;
            }
            if ($name === 'timezone_string' && $value !== '') {
                update_option('gmt_offset', '');
            }
            if (is_bool($value)) {
                $value = $value ? 1 : 0;
            }
            update_option($name, $value);
            $done[$name] = get_option($name);
        }
        return $done;
    case 'get_options':
        $out = array();
        foreach ((array) $args['names'] as $name) {
            $out[$name] = get_option($name);
        }
        return $out;
    case 'set_permalinks':
        return tb_set_permalinks((string) $args['structure'], isset($args['rewrite']) ? (bool) $args['rewrite'] : null);

    case 'switch_theme':
        $theme = wp_get_theme($args['stylesheet']);
        if (!$theme->exists()) {
            throw new BridgeError('no theme ' . $args['stylesheet']);
        }
        switch_theme($args['stylesheet']);
        return array('stylesheet' => get_stylesheet(), 'block_theme' => wp_is_block_theme());

    case 'block_rest':
        update_option('testbed_block_rest', empty($args['on']) ? 0 : 1);
        return array('blocked' => (bool) get_option('testbed_block_rest'));

    case 'comments':
        $q = array(
            'status' => isset($args['status']) ? $args['status'] : 'approve',
            'type' => isset($args['type']) ? $args['type'] : 'comment',
            'orderby' => array('comment_date_gmt' => 'ASC', 'comment_ID' => 'ASC'),
            'number' => '',
            'no_found_rows' => true,
            'update_comment_meta_cache' => false,
        );
        if ($q['type'] === 'all') {
            unset($q['type']);
        }
        if (!empty($args['post_id'])) {
            $q['post_id'] = (int) $args['post_id'];
        }
        $rows = array();
        foreach (get_comments($q) as $c) {
            $rows[] = tb_comment_row($c, !empty($args['links']), !empty($args['pages']));
        }
        return $rows;

    case 'posts':
        $ids = get_posts(array(
            'numberposts' => -1,
            'post_type' => isset($args['type']) ? $args['type'] : 'post',
            'post_status' => isset($args['status']) ? $args['status'] : 'publish',
            'orderby' => 'date',
            'order' => 'ASC',
            'fields' => 'ids',
            'include' => isset($args['ids']) ? $args['ids'] : array(),
        ));
        return array_map('tb_post_row', $ids);

    case 'sql':
        $rows = $wpdb->get_results($args['query'], ARRAY_A);
        if ($wpdb->last_error) {
            throw new BridgeError('sql: ' . $wpdb->last_error);
        }
        return $rows;
    }
    throw new BridgeError("unknown op $op");
}

if (!$installing) {
    wp_set_current_user(1); // an administrator: no kses filtering of what the tests insert
}
$results = array();
foreach ($ops as $i => $entry) {
    $args = isset($entry['args']) ? $entry['args'] : array();
    foreach ($args as $k => $v) {
        if (is_array($v) && count($v) === 1 && isset($v['$ref'])) {
            $args[$k] = $results[(int) $v['$ref']]['id'];
        }
    }
    try {
        $results[] = tb_run($entry['op'], $args);
    } catch (Throwable $e) {
        file_put_contents($out_file, json_encode(array(
            'error' => get_class($e) . ': ' . $e->getMessage(), 'index' => $i, 'op' => $entry['op'],
            'results' => $results,
        )));
        exit(1);
    }
    if ($entry['op'] === 'install') {
        wp_set_current_user(1);
    }
}
file_put_contents($out_file, json_encode(array('results' => $results), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
exit(0);
