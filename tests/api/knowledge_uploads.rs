//! Uploading files into the knowledge base on both backends: each type
//! becomes a searchable document (a PDF made here, byte by byte), every bad
//! file gets its own reason while the rest of the batch is imported, bad
//! requests get the envelope; documents carry their state, source, size and
//! times cited, and a disabled document or passage is not searched.

use lantern_tests::{Backend, TestApp, on_both_backends};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::{answers::ask, assert_envelope};

const UPLOADS: &str = "/api/v1/knowledge/uploads";

/// A one-page PDF whose text is `text` (Helvetica), with a correct xref.
pub fn pdf(text: &str) -> Vec<u8> {
    pdf_with(text, None)
}

/// [`pdf`] locked with a user password (standard security handler, RC4
/// 40-bit): without the password nothing can be read. The password
/// hashes are made up, so no password opens it — as far as a reader that
/// tries the empty password can tell, it is a locked file.
pub fn encrypted_pdf(text: &str) -> Vec<u8> {
    let hash = "A1".repeat(32);
    let encrypt =
        format!("<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <{hash}> /U <{hash}> >>");
    pdf_with(text, Some(&encrypt))
}

fn pdf_with(text: &str, encrypt: Option<&str>) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
    ];
    let mut objects = objects.to_vec();
    let mut trailer = String::new();
    if let Some(dict) = encrypt {
        objects.push(dict.to_string());
        trailer = format!(
            " /Encrypt {} 0 R /ID [<{id}> <{id}>]",
            objects.len(),
            id = "0123456789ABCDEF".repeat(2)
        );
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

pub async fn upload(app: &TestApp, key: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
    let mut form = Form::new();
    for (name, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    app.client
        .post(app.url(UPLOADS))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .expect("request sent")
}

async fn json_ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).expect("json")
}

async fn documents(app: &TestApp, key: &str) -> Vec<Value> {
    let page = json_ok(
        app.get_auth("/api/v1/knowledge/documents?limit=100", key)
            .await,
        200,
    )
    .await;
    page["items"].as_array().expect("items").clone()
}

async fn search(app: &TestApp, site: &str, q: &str) -> Vec<Value> {
    crate::knowledge::results(app, site, q).await
}

async fn every_type_is_imported(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("shipping.md", b"# Shipping\n\nParcels leave the warehouse within two working days.".to_vec()),
        ("warranty.txt", b"The warranty covers manufacturing defects for three years.".to_vec()),
        (
            "contact.html",
            b"<html><head><title>Contact us</title><script>alert('x')</script></head>\
              <body><p>Our helpline answers on weekdays from nine to five.</p></body></html>"
                .to_vec(),
        ),
        ("manual.pdf", pdf("The blender lid locks with a quarter turn clockwise.")),
        (
            "faq.csv",
            b"question,answer\n\"Do you ship abroad?\",\"Yes, to forty countries.\"\n".to_vec(),
        ),
        (
            "more-faq.json",
            br#"[{"question": "Can I pay by invoice?", "answer": "Invoices are accepted for companies."}]"#
                .to_vec(),
        ),
    ];
    let res = json_ok(upload(&app, &site.admin_key, &files).await, 202).await;
    let items = res["items"].as_array().expect("items");
    assert_eq!(items.len(), files.len(), "{res}");
    for (item, (name, _)) in items.iter().zip(&files) {
        assert_eq!(item["name"], *name);
        assert!(item["document_id"].is_string(), "{name}: {item}");
        assert!(item.get("error").is_none(), "{name}: {item}");
    }
    let docs = documents(&app, &site.admin_key).await;
    assert_eq!(docs.len(), files.len());
    for d in &docs {
        assert_eq!(d["state"], "ready", "{d}");
        assert_eq!(d["source"], "upload", "{d}");
        assert_eq!(d["enabled"], true);
        assert!(d["size"].as_i64().is_some_and(|n| n > 0), "{d}");
        assert!(d["passages"].as_i64().is_some_and(|n| n > 0), "{d}");
        assert_eq!(d["cited"], 0);
    }
    assert!(
        docs.iter().any(|d| d["title"] == "Contact us"),
        "HTML title used"
    );
    for (q, title) in [
        ("blender lid quarter turn", "manual"),
        ("warranty manufacturing defects", "warranty"),
        ("helpline weekdays", "Contact us"),
        ("ship abroad countries", "faq"),
        ("pay by invoice", "more faq"),
    ] {
        let hits = search(&app, &site.id, q).await;
        assert_eq!(
            hits.first().map(|h| h["title"].clone()),
            Some(json!(title)),
            "{q}: {hits:?}"
        );
    }
    let hits = search(&app, &site.id, "alert").await;
    assert!(hits.is_empty(), "scripts are not indexed: {hits:?}");
}
on_both_backends!(uploads_import_every_type, super::every_type_is_imported);

async fn bad_files_fail_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let good = b"Opening hours are eight to six.".to_vec();
    let oversize = vec![b'a'; 10 * 1024 * 1024 + 1];
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("program.exe", b"MZ\x90\x00".to_vec()),
        ("big.txt", oversize),
        ("binary.txt", vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]),
        (
            "broken.pdf",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage".to_vec(),
        ),
        ("fake.pdf", b"just text pretending".to_vec()),
        ("bad.docx", b"PK\x03\x04 not a zip".to_vec()),
        ("empty.md", Vec::new()),
        ("bad.csv", b"a,b,c\n".to_vec()),
        (
            "locked.pdf",
            encrypted_pdf("The safe code is four four two."),
        ),
        ("hours.txt", good.clone()),
    ];
    let res = json_ok(upload(&app, &site.admin_key, &files).await, 202).await;
    let items = res["items"].as_array().expect("items");
    assert_eq!(items.len(), files.len(), "{res}");
    for item in &items[..files.len() - 1] {
        assert!(item["document_id"].is_null(), "{item}");
        assert!(
            item["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{item}"
        );
    }
    assert!(
        items[0]["error"]
            .as_str()
            .expect("e")
            .contains("unsupported"),
        "{res}"
    );
    assert!(
        items[1]["error"].as_str().expect("e").contains("larger"),
        "{res}"
    );
    assert!(
        items[2]["error"].as_str().expect("e").contains("binary"),
        "{res}"
    );
    let locked = &items[files.len() - 2];
    assert_eq!(locked["name"], "locked.pdf");
    assert!(
        locked["error"]
            .as_str()
            .expect("e")
            .contains("encrypted PDF"),
        "a clear reason for a locked PDF: {res}"
    );
    let imported = items[files.len() - 1]["document_id"]
        .as_str()
        .expect("the good file");
    let docs = documents(&app, &site.admin_key).await;
    assert_eq!(docs.len(), 1, "only the good file is stored: {docs:?}");
    assert_eq!(docs[0]["id"], imported);

    // The same file again is reported, not stored twice.
    let again = json_ok(
        upload(&app, &site.admin_key, &[("hours-copy.txt", good)]).await,
        202,
    )
    .await;
    assert!(
        again["items"][0]["error"]
            .as_str()
            .expect("e")
            .contains("identical"),
        "{again}"
    );
    assert_eq!(documents(&app, &site.admin_key).await.len(), 1);

    // Requests that are wrong as a whole: the envelope.
    let empty = app
        .client
        .post(app.url(UPLOADS))
        .bearer_auth(&site.admin_key)
        .multipart(Form::new().text("note", "no files here"))
        .send()
        .await
        .expect("sent");
    assert_envelope(empty, 400, "validation_failed").await;
    let json_body = app
        .post_json(UPLOADS, &site.admin_key, &json!({"file": "x"}))
        .await;
    assert_envelope(json_body, 415, "unsupported_media_type").await;
    let too_big: Vec<(&str, Vec<u8>)> = (0..4)
        .map(|_| ("x.txt", vec![b'a'; 9 * 1024 * 1024]))
        .collect();
    // The server answers 413 from the length alone and may close the
    // connection while the client still writes: a refusal either way.
    let mut form = Form::new();
    for (name, bytes) in too_big {
        form = form.part("file", Part::bytes(bytes).file_name(name));
    }
    match app
        .client
        .post(app.url(UPLOADS))
        .bearer_auth(&site.admin_key)
        .multipart(form)
        .send()
        .await
    {
        Ok(res) => {
            assert_envelope(res, 413, "payload_too_large").await;
        }
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    let visitor = app.visitor(&site.id).await;
    assert_envelope(
        upload(&app, &visitor, &[("a.txt", b"hello".to_vec())]).await,
        403,
        "forbidden",
    )
    .await;
    assert_envelope(
        upload(&app, "nope", &[("a.txt", b"hello".to_vec())]).await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        documents(&app, &site.admin_key).await.len(),
        1,
        "nothing changed"
    );
}
on_both_backends!(
    uploads_refuse_bad_files_one_by_one,
    super::bad_files_fail_alone
);

async fn disable_and_cite(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let md = b"# Returns\n\nItems can be returned within thirty days for a refund.\n\n\
               ## Exchanges\n\nAn exchange for another size is free of charge."
        .to_vec();
    let res = json_ok(
        upload(&app, &site.admin_key, &[("returns.md", md)]).await,
        202,
    )
    .await;
    let id = res["items"][0]["document_id"]
        .as_str()
        .expect("id")
        .to_string();
    let doc_path = format!("/api/v1/knowledge/documents/{id}");

    // Cited by a reply: counted.
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation_id(&visitor).await;
    let reply = ask(&app, &visitor, &conv, "Can items be returned for a refund?").await;
    assert_eq!(reply["citations"][0]["title"], "Returns", "{reply}");
    let docs = documents(&app, &site.admin_key).await;
    assert_eq!(docs[0]["cited"], 1, "{docs:?}");

    // The passages, as split.
    let passages = json_ok(
        app.get_auth(&format!("{doc_path}/passages"), &site.admin_key)
            .await,
        200,
    )
    .await;
    let items = passages["items"].as_array().expect("items").clone();
    assert!(items.len() >= 2, "{passages}");
    let exchange = items
        .iter()
        .find(|p| {
            p["heading"]
                .as_str()
                .is_some_and(|h| h.contains("Exchanges"))
        })
        .expect("the exchanges passage");
    assert_eq!(exchange["enabled"], true);
    assert!(
        exchange["text"]
            .as_str()
            .expect("text")
            .contains("free of charge")
    );
    assert_eq!(
        search(&app, &site.id, "exchange another size").await.len(),
        1
    );

    // A disabled passage is not searched; enabled again, it is.
    let pid = exchange["id"].as_i64().expect("pid");
    let patch = |path: String, enabled: bool| {
        let (app, key) = (&app, site.admin_key.clone());
        async move {
            app.patch_json(&path, &key, &json!({ "enabled": enabled }))
                .await
        }
    };
    let p = json_ok(
        patch(format!("{doc_path}/passages/{pid}"), false).await,
        200,
    )
    .await;
    assert_eq!(p["enabled"], false);
    assert!(
        search(&app, &site.id, "exchange another size")
            .await
            .is_empty()
    );
    json_ok(patch(format!("{doc_path}/passages/{pid}"), true).await, 200).await;
    assert_eq!(
        search(&app, &site.id, "exchange another size").await.len(),
        1
    );

    // A disabled document: kept and listed, never searched.
    let d = json_ok(patch(doc_path.clone(), false).await, 200).await;
    assert_eq!(d["enabled"], false);
    assert!(
        search(&app, &site.id, "returned refund thirty days")
            .await
            .is_empty()
    );
    assert_eq!(documents(&app, &site.admin_key).await[0]["enabled"], false);
    json_ok(patch(doc_path.clone(), true).await, 200).await;
    assert_eq!(
        search(&app, &site.id, "returned refund thirty days")
            .await
            .len(),
        1
    );

    // Bad input.
    assert_envelope(
        patch(format!("{doc_path}/passages/999999"), false).await,
        404,
        "not_found",
    )
    .await;
    assert_envelope(
        patch(format!("{doc_path}/passages/abc"), false).await,
        404,
        "not_found",
    )
    .await;
    let res = app
        .client
        .patch(app.url(&doc_path))
        .bearer_auth(&site.admin_key)
        .json(&json!({"enabled": "yes"}))
        .send()
        .await
        .expect("sent");
    assert_envelope(res, 400, "validation_failed").await;
    let other = app.site().await;
    assert_envelope(
        app.get_auth(&format!("{doc_path}/passages"), &other.admin_key)
            .await,
        404,
        "not_found",
    )
    .await;
}
on_both_backends!(
    documents_disable_and_count_citations,
    super::disable_and_cite
);
